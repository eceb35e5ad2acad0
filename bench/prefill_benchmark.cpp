#include "bench/prefill_benchmark.h"

#include <chrono>
#include <random>

#include "common/check.h"

namespace gs::bench {

std::vector<double> run_prefill_benchmark(StepExecutor& executor, int chunk,
                                          const DecodeSettings& s) {
  const Model& model = executor.model();
  const ModelLimits& limits = model.limits();
  GS_CHECK(chunk >= 1 && chunk <= limits.max_step_tokens && chunk <= limits.capacity,
           "prefill benchmark: a chunk of " << chunk << " tokens does not fit steps of "
                                            << limits.max_step_tokens << " tokens and "
                                            << limits.capacity << " positions");
  std::mt19937_64 rng(s.seed);
  std::uniform_int_distribution<int> token(0, model.config().vocab_size - 1);
  StepBatch batch;
  std::vector<double> seconds;
  for (int run = 0; run < s.warmup + s.repeat; ++run) {
    batch.clear();
    for (int p = 0; p < chunk; ++p) batch.add(token(rng), p, 0, p == chunk - 1);
    const auto start = std::chrono::steady_clock::now();
    executor.run(batch);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    if (run >= s.warmup) seconds.push_back(took.count());
  }
  return seconds;
}

}  // namespace gs::bench
