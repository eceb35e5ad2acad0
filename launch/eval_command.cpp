#include "launch/eval_command.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/model_family.h"
#include "engine/perplexity.h"
#include "engine/tokenizer/tokenizer.h"
#include "common/check.h"
#include "launch/collective_phase.h"
#include "launch/model_setup.h"
#include "launch/progress.h"
#include "launch/t5_commands.h"

namespace gs {

namespace {

std::string read_text_file(const std::string& path) {
  GS_CHECK(std::filesystem::is_regular_file(path),
           "cannot read the text file " << path << ": it does not exist or is not a regular file");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  GS_CHECK(in && !in.bad(), "cannot read the text file " << path);
  const std::string s = text.str();
  const bool blank = std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
  GS_CHECK(!blank, "the text file " << path << " is empty: there is nothing to evaluate");
  return s;
}

}  // namespace

Subcommand add_eval_command(CLI::App& app, EvalOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "eval", "perplexity on a text file, in non-overlapping windows that each start with BOS");
  add_common_options(*cmd, o.common);
  cmd->add_option("--text", o.text,
                  "text file to evaluate (encoded whole, as llama2.c encodes a prompt); for a T5 model a "
                  "JSONL file of {\"input\": ..., \"target\": ...} pairs")
      ->required();
  cmd->add_option("--max-tokens", o.max_tokens, "evaluate at most this many tokens, from the start");
  cmd->add_option("--context", o.context, "window length in tokens (default: the KV cache's positions)");
  cmd->add_flag("--json", o.json, "one JSON object on stdout");
  return {cmd, [&o](ControlChannel& comm) { return run_eval(o, comm); }};
}

int run_eval(const EvalOptions& o, ControlChannel& comm) {
  // Encoder-decoder families have their own run (launch/t5_eval.cpp).
  bool t5 = false;
  run_collective_phase(comm, [&] { t5 = model_family_of(resolve_run_config(o.common).model.path) == ModelFamily::t5; });
  if (t5) return run_t5_eval(o, comm);

  RunConfig config;
  std::vector<int> tokens;
  std::optional<ShardPlan> plan;
  RankSlice slice;
  int context = 0;

  run_collective_phase(comm, [&] {
    config = resolve_run_config(o.common);
    GS_CHECK(!o.max_tokens || *o.max_tokens >= 1, "--max-tokens must be at least 1, got " << *o.max_tokens);
    config.runtime.threads = apply_threads(config.runtime.threads);
    check_dtype_names(config.runtime);

    std::unique_ptr<WeightSource> source = open_checkpoint(config.model.path);
    const ModelConfig& model_config = source->config();
    plan = ShardPlan::make(model_config.shape(), comm.size(), strategy_from_name(config.parallel.strategy));
    if (o.context) {
      GS_CHECK(*o.context >= 1 && *o.context <= model_config.max_seq_len,
               "--context " << *o.context << " is outside 1.." << model_config.max_seq_len
                            << ", the positions the model supports");
      // The cache need not be longer than a window.
      if (config.runtime.max_seq_len == 0) config.runtime.max_seq_len = *o.context;
    }
    const ModelLimits limits = model_limits(config.runtime, model_config, 1);
    config.runtime.max_seq_len = limits.capacity;
    context = o.context.value_or(limits.capacity);
    GS_CHECK(context <= limits.capacity, "--context " << context << " exceeds the KV cache's "
                                                      << limits.capacity
                                                      << " positions (runtime.max_seq_len)");

    // Rank 0 owns user I/O: the text is read and checked before any rank loads weights.
    if (comm.rank() == 0) {
      const std::unique_ptr<Tokenizer> tokenizer = open_model_tokenizer(config, model_config);
      GS_CHECK(tokenizer, "no tokenizer found beside " << config.model.path << ": pass --tokenizer PATH");
      tokens = tokenizer->encode(read_text_file(o.text), false);
      if (o.max_tokens && static_cast<std::size_t>(*o.max_tokens) < tokens.size()) tokens.resize(*o.max_tokens);
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
  // Progress for texts of several windows; one window is over before anyone waits.
  std::optional<Progress> progress;
  if (tokens.size() > static_cast<std::size_t>(context)) {
    ProgressOptions options;
    options.label = "eval";
    options.unit = "tokens";
    progress.emplace(tokens.size(), options);
  }
  const PerplexityResult r = evaluate_perplexity(executor, tokens, model->config().bos_id, context,
                                                 [&](std::int64_t done, std::int64_t) {
                                                   if (progress) progress->update(done);
                                                 });
  if (progress) progress->finish();
  executor.stop();

  if (o.json) {
    const nlohmann::json out = {
        {"model", config.model.path}, {"text", o.text},        {"tp", plan->tp()},
        {"strategy", strategy_name(plan->strategy())},         {"kv_groups", model->config().n_kv_heads},
        {"tokens", r.tokens},         {"windows", r.windows},  {"context", r.context},
        {"overlap", false},           {"nll", r.nll},          {"perplexity", r.perplexity},
        {"seconds", r.seconds}};
    std::cout << out.dump() << "\n";
  } else {
    std::printf("perplexity %.4f (mean NLL %.6f nats/token) over %lld tokens in %d non-overlapping "
                "windows of %d (each starts with BOS), tp %d, %.2f s\n",
                r.perplexity, r.nll, static_cast<long long>(r.tokens), r.windows, r.context,
                plan->tp(), r.seconds);
  }
  std::cout << std::flush;
  return 0;
}

}  // namespace gs
