// The prefill benchmark rank 0 drives: one sequence's prompt of `chunk` tokens
// as a single forward step, timed. Ranks != 0 serve the steps through their
// StepExecutor as in `generate`.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/decode_benchmark.h"
#include "engine/step_executor.h"

namespace gs::bench {

// Rank 0; the model needs one slot of chunk positions and steps of chunk tokens.
// Runs settings.warmup + settings.repeat chunks, each over positions 0..chunk-1
// again, and returns the measured ones' seconds.
std::vector<double> run_prefill_benchmark(StepExecutor& executor, int chunk,
                                          const DecodeSettings& settings);

}  // namespace gs::bench
