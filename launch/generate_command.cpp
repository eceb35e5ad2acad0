#include "launch/generate_command.h"

#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/generator.h"
#include "engine/model_family.h"
#include "engine/tokenizer/tokenizer.h"
#include "common/check.h"
#include "launch/collective_phase.h"
#include "launch/model_setup.h"
#include "launch/prompt_ids.h"
#include "launch/t5_commands.h"

namespace gs {

namespace {

std::string decode(const Tokenizer& tokenizer, int previous, const std::vector<int>& ids) {
  std::string text;
  for (int id : ids) {
    text += tokenizer.decode(previous, id);
    previous = id;
  }
  return text;
}

// The prompt as text, BOS left out.
std::string prompt_text(const Tokenizer& tokenizer, const std::vector<int>& ids) {
  std::string text;
  int previous = tokenizer.bos_id();
  for (int id : ids) {
    if (id != tokenizer.bos_id()) text += tokenizer.decode(previous, id);
    previous = id;
  }
  return text;
}

void print_stats(const GenerationStats& s, const ShardPlan& plan, int threads) {
  const double decode_rate = s.decode_seconds > 0 ? s.decode_tokens / s.decode_seconds : 0;
  const double prefill_rate = s.prefill_seconds > 0 ? s.prompt_tokens / s.prefill_seconds : 0;
  std::fprintf(stderr,
               "groupshard: tp %d (%s), %d thread(s)/rank: prefill %ld tokens %.1f tok/s, "
               "decode %ld tokens %.1f tok/s (%ld steps), first token %.3f s\n",
               plan.tp(), strategy_name(plan.strategy()).c_str(), threads, s.prompt_tokens,
               prefill_rate, s.decode_tokens, decode_rate, s.decode_steps, s.first_token_seconds);
}

}  // namespace

RunConfig resolve_generate_config(const GenerateOptions& o, GenerationOptions& generation) {
  RunConfig config = resolve_run_config(o.common);
  if (o.max_tokens) config.sampling.max_tokens = *o.max_tokens;
  if (o.temperature) config.sampling.temperature = *o.temperature;
  if (o.top_k) config.sampling.top_k = *o.top_k;
  if (o.top_p) config.sampling.top_p = *o.top_p;
  if (o.seed) config.sampling.seed = *o.seed;
  if (o.ignore_eos) config.sampling.ignore_eos = true;
  generation.max_tokens = config.sampling.max_tokens;
  generation.ignore_eos = config.sampling.ignore_eos;
  generation.sampling = {config.sampling.temperature, config.sampling.top_k, config.sampling.top_p,
                         config.sampling.seed};
  generation.sampling.validate();
  return config;
}

Subcommand add_generate_command(CLI::App& app, GenerateOptions& o) {
  CLI::App* cmd = app.add_subcommand("generate", "generate text from prompts");
  add_common_options(*cmd, o.common);
  cmd->add_option("--prompt", o.prompts, "prompt text (repeatable; several prompts form a batch)");
  cmd->add_option("--prompt-ids", o.prompt_ids, "prompt as token ids, e.g. 1,403,407 (repeatable)");
  cmd->add_option("--max-tokens", o.max_tokens, "tokens to generate per prompt at most");
  cmd->add_option("--temperature", o.temperature, "0 = greedy (default)");
  cmd->add_option("--top-k", o.top_k, "sample among the k most likely (0 = all)");
  cmd->add_option("--top-p", o.top_p, "sample within this probability mass (1 = all)");
  cmd->add_option("--seed", o.seed, "random seed for sampling");
  cmd->add_flag("--ignore-eos", o.ignore_eos, "continue through EOS/BOS tokens");
  cmd->add_flag("--json", o.json, "one JSON object per prompt on stdout");
  return {cmd, [&o](ControlChannel& comm) { return run_generate(o, comm); }};
}

int run_generate(const GenerateOptions& o, ControlChannel& comm) {
  // Encoder-decoder families have their own run (launch/t5_generate.cpp).
  bool t5 = false;
  run_collective_phase(comm, [&] { t5 = model_family_of(resolve_run_config(o.common).model.path) == ModelFamily::t5; });
  if (t5) return run_t5_generate(o, comm);

  RunConfig config;
  GenerationOptions generation;
  std::unique_ptr<Tokenizer> tokenizer;
  std::vector<std::vector<int>> prompts;
  std::optional<ShardPlan> plan;
  RankSlice slice;

  run_collective_phase(comm, [&] {
    config = resolve_generate_config(o, generation);
    config.runtime.threads = apply_threads(config.runtime.threads);
    check_dtype_names(config.runtime);

    std::unique_ptr<WeightSource> source = open_checkpoint(config.model.path);
    const ModelConfig& model_config = source->config();
    plan = ShardPlan::make(model_config.shape(), comm.size(), strategy_from_name(config.parallel.strategy));
    const int n_prompts = static_cast<int>(o.prompts.size() + o.prompt_ids.size());
    const ModelLimits limits = model_limits(config.runtime, model_config, n_prompts);
    config.runtime.max_seq_len = limits.capacity;

    // Rank 0 owns user I/O: it reads the tokenizer and the prompts, and checks them
    // before any rank spends time loading weights.
    if (comm.rank() == 0) {
      tokenizer = open_model_tokenizer(config, model_config);
      GS_CHECK(tokenizer || o.prompts.empty(),
               "no tokenizer found beside " << config.model.path << ": pass --tokenizer PATH");
      for (const std::string& text : o.prompts) prompts.push_back(tokenizer->encode(text, true));
      for (const std::string& ids : o.prompt_ids) prompts.push_back(parse_prompt_ids(ids));
      check_prompts(prompts, generation.max_tokens, limits, model_config.vocab_size);
    }
    slice = load_rank_slice(*source, *plan, comm, config.runtime, limits);
  });
  const RankModel built = build_rank_model(comm, config, *plan, std::move(slice));
  LlamaModel* model = built.model.get();

  StepExecutor executor(*model, comm);
  if (comm.rank() != 0) {
    executor.serve();
    return 0;
  }
  if (o.common.verbose) print_resolved_config(config, *plan);

  std::vector<int> stop_ids = model->config().eos_ids;
  stop_ids.push_back(model->config().bos_id);
  Generator generator(executor, stop_ids);
  // A single text prompt streams as it is generated; batches print when done.
  const bool stream = !o.json && prompts.size() == 1 && tokenizer;
  int previous = 0;
  if (stream) {
    std::cout << prompt_text(*tokenizer, prompts[0]) << std::flush;
    previous = prompts[0].back();
  }
  const std::vector<Completion> completions =
      generator.generate(prompts, generation, [&](int, int token) {
        if (!stream) return;
        std::cout << tokenizer->decode(previous, token) << std::flush;
        previous = token;
      });
  executor.stop();

  if (stream) std::cout << "\n";
  for (std::size_t i = 0; i < completions.size() && !stream; ++i) {
    const Completion& c = completions[i];
    const std::string text = tokenizer ? decode(*tokenizer, c.prompt_ids.back(), c.tokens) : "";
    if (o.json) {
      nlohmann::json line = {{"index", i}, {"prompt_tokens", c.prompt_ids}, {"tokens", c.tokens},
                             {"finish_reason", finish_reason_name(c.finish)}};
      if (tokenizer) line["text"] = text;
      std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else if (tokenizer) {
      std::cout << "[" << i << "] " << prompt_text(*tokenizer, c.prompt_ids) << text << "\n";
    } else {
      std::cout << "[" << i << "]";
      for (int id : c.tokens) std::cout << ' ' << id;
      std::cout << "\n";
    }
  }
  std::cout << std::flush;
  if (o.common.verbose) print_stats(generator.stats(), *plan, config.runtime.threads);
  return 0;
}

}  // namespace gs
