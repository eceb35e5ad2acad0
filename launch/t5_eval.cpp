#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "engine/seq2seq_eval.h"
#include "common/check.h"
#include "launch/collective_phase.h"
#include "launch/eval_pairs.h"
#include "launch/model_setup.h"
#include "launch/t5_commands.h"
#include "launch/t5_setup.h"

namespace gs {

int run_t5_eval(const EvalOptions& o, ControlChannel& comm) {
  RunConfig config;
  std::unique_ptr<T5Checkpoint> checkpoint;
  std::vector<Seq2SeqPair> pairs;
  ModelLimits limits;
  run_collective_phase(comm, [&] {
    config = resolve_run_config(o.common);
    GS_CHECK(!o.max_tokens, "--max-tokens does not apply to a T5 eval (every pair is evaluated)");
    GS_CHECK(!o.context, "--context does not apply to a T5 eval (each pair is its own context)");
    config.runtime.threads = apply_threads(config.runtime.threads);
    check_dtype_names(config.runtime);
    checkpoint = std::make_unique<T5Checkpoint>(config.model.path);
    const T5Config& t5 = checkpoint->config();
    limits = model_limits(config.runtime, t5.decoder_config(), 1);
    config.runtime.max_seq_len = limits.capacity;
    if (comm.rank() == 0) {
      const std::unique_ptr<Tokenizer> tokenizer = open_t5_tokenizer(config, t5.vocab_size);
      for (const auto& [input, target] : read_eval_pairs(o.text))
        pairs.push_back({t5_encode_prompt(*tokenizer, input, t5.eos_id), t5_encode_prompt(*tokenizer, target, t5.eos_id)});
      for (std::size_t i = 0; i < pairs.size(); ++i)
        GS_CHECK(static_cast<int>(pairs[i].input.size()) <= limits.capacity &&
                     static_cast<int>(pairs[i].target.size()) <= limits.capacity,
                 o.text << ": pair " << i << " has " << pairs[i].input.size() << " input and " << pairs[i].target.size()
                        << " target tokens; at most " << limits.capacity << " each fit (runtime.max_seq_len)");
    }
  });
  const T5RankModel built = load_t5_rank_model(comm, config, *checkpoint, limits);
  checkpoint.reset();
  StepExecutor executor(*built.model, comm);
  if (comm.rank() != 0) {
    executor.serve();
    return 0;
  }
  PerplexityResult r;
  try {
    r = evaluate_seq2seq(executor, pairs);
  } catch (...) {
    executor.stop();
    throw;
  }
  executor.stop();
  const ShardPlan& plan = built.model->plan();
  if (o.json) {
    const nlohmann::json out = {{"model", config.model.path}, {"pairs_file", o.text}, {"tp", plan.tp()},
                                {"strategy", strategy_name(plan.strategy())}, {"kv_groups", built.model->config().n_kv_heads},
                                {"pairs", r.windows}, {"tokens", r.tokens}, {"nll", r.nll},
                                {"perplexity", r.perplexity}, {"seconds", r.seconds}};
    std::cout << out.dump() << "\n";
  } else {
    std::printf("target perplexity %.4f (mean NLL %.6f nats/token) over %lld target tokens of %d pairs "
                "(teacher-forced), tp %d, %.2f s\n",
                r.perplexity, r.nll, static_cast<long long>(r.tokens), r.windows, plan.tp(), r.seconds);
  }
  std::cout << std::flush;
  return 0;
}

}  // namespace gs
