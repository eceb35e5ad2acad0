#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "engine/generator.h"
#include "common/check.h"
#include "launch/collective_phase.h"
#include "launch/model_setup.h"
#include "launch/prompt_ids.h"
#include "launch/t5_commands.h"
#include "launch/t5_setup.h"

namespace gs {

int run_t5_generate(const GenerateOptions& o, ControlChannel& comm) {
  RunConfig config;
  GenerationOptions generation;
  std::unique_ptr<Tokenizer> tokenizer;
  std::vector<std::vector<int>> prompts;
  std::unique_ptr<T5Checkpoint> checkpoint;
  ModelLimits limits;

  run_collective_phase(comm, [&] {
    config = resolve_generate_config(o, generation);
    config.runtime.threads = apply_threads(config.runtime.threads);
    check_dtype_names(config.runtime);

    checkpoint = std::make_unique<T5Checkpoint>(config.model.path);
    const T5Config& t5 = checkpoint->config();
    const int n_prompts = static_cast<int>(o.prompts.size() + o.prompt_ids.size());
    limits = model_limits(config.runtime, t5.decoder_config(), n_prompts);
    config.runtime.max_seq_len = limits.capacity;
    if (comm.rank() == 0) {
      if (!o.prompts.empty()) tokenizer = open_t5_tokenizer(config, t5.vocab_size);
      for (const std::string& text : o.prompts) prompts.push_back(t5_encode_prompt(*tokenizer, text, t5.eos_id));
      for (const std::string& ids : o.prompt_ids) prompts.push_back(parse_prompt_ids(ids));
      check_prompts(prompts, generation.max_tokens, limits, t5.vocab_size, true);
    }
  });
  const T5RankModel built = load_t5_rank_model(comm, config, *checkpoint, limits);
  checkpoint.reset();
  T5Model& model = *built.model;

  StepExecutor executor(model, comm);
  if (comm.rank() != 0) {
    executor.serve();
    return 0;
  }
  if (o.common.verbose) {
    std::cerr << "# resolved config\n" << run_config_to_yaml(config) << "\n";
    for (const std::string& note : model.encoder_plan().notes()) std::cerr << "# encoder plan: " << note << "\n";
    for (const std::string& note : model.plan().notes()) std::cerr << "# decoder plan: " << note << "\n";
  }
  Generator generator(executor, model.config().eos_ids);
  const bool stream = !o.json && prompts.size() == 1 && tokenizer;
  int previous = -1;
  const std::vector<Completion> completions = generator.generate(prompts, generation, [&](int, int token) {
    if (!stream) return;
    std::cout << t5_token_text(*tokenizer, previous, token) << std::flush;
    previous = token;
  });
  executor.stop();
  if (stream) std::cout << "\n";
  for (std::size_t i = 0; i < completions.size() && !stream; ++i) {
    const Completion& c = completions[i];
    std::string text;
    if (tokenizer) {
      int prev = -1;
      for (int id : c.tokens) {
        text += t5_token_text(*tokenizer, prev, id);
        prev = id;
      }
    }
    if (o.json) {
      nlohmann::json line = {{"index", i}, {"prompt_tokens", c.prompt_ids}, {"tokens", c.tokens},
                             {"finish_reason", finish_reason_name(c.finish)}};
      if (tokenizer) line["text"] = text;
      std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else if (tokenizer) {
      std::cout << "[" << i << "] " << text << "\n";
    } else {
      std::cout << "[" << i << "]";
      for (int id : c.tokens) std::cout << ' ' << id;
      std::cout << "\n";
    }
  }
  std::cout << std::flush;
  if (o.common.verbose) {
    const GenerationStats& s = generator.stats();
    std::fprintf(stderr, "groupshard: T5 tp %d: encoder %ld tokens, decode %ld tokens in %.3f s (%ld steps)\n",
                 model.plan().tp(), s.prompt_tokens, s.decode_tokens, s.decode_seconds, s.decode_steps);
  }
  return 0;
}

}  // namespace gs
