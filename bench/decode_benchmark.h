// The decode benchmark rank 0 drives: fill the KV cache to a context length by
// prefilling random prompts, then time decode steps of a whole batch from there.
// Ranks != 0 serve the steps through their StepExecutor as in `generate`.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "bench/bench_record.h"
#include "engine/step_executor.h"
#include "parallel/timed_tensor_channel.h"

namespace gs::bench {

struct DecodeCase {
  int batch = 1;     // sequences decoded together, in cache slots 0..batch-1
  int context = 1;   // prompt tokens per sequence: the cache holds this many positions
};

struct DecodeSettings {
  int gen_tokens = 16;  // decode steps per run
  int warmup = 1;       // runs before the measured ones
  int repeat = 3;       // measured runs; each decodes from `context` again
  std::uint64_t seed = 1;
};

struct DecodeMeasurement {
  double prefill_seconds = 0.0;      // every sequence's prompt, in chunks of max_step_tokens
  double first_token_seconds = 0.0;  // the first sequence's prompt through to its first token
  std::vector<double> step_seconds;  // each measured decode step (repeat * gen_tokens)
  double allreduce_seconds = 0.0;    // rank 0 inside all-reduce during the measured steps
  std::int64_t allreduce_calls = 0;
};

// Rank 0; the model's limits must hold batch slots of context + gen_tokens positions.
// comm is the communicator the model and executor were built with. on_step(tokens)
// follows every step, for progress: decode_case_tokens() in all.
DecodeMeasurement run_decode_benchmark(StepExecutor& executor, TimedTensorChannel& comm,
                                       const DecodeCase& decode_case, const DecodeSettings& settings,
                                       const std::function<void(int)>& on_step = {});
// Tokens run_decode_benchmark pushes through the model: prompts and decode steps.
std::int64_t decode_case_tokens(const DecodeCase& decode_case, const DecodeSettings& settings);

// Bytes one decode step of this rank must read: its weights (the embedding table
// apart from the looked-up rows, unless it doubles as the LM head) and the K/V of
// `attended` positions of each of `batch` sequences.
std::int64_t decode_read_bytes(const Model& model, int rank, int batch, double attended);

// Positions a decode step attends to on average over gen_tokens steps from context.
double mean_attended_positions(int context, int gen_tokens);

// The measured figures of `record` (timings, memory, achieved bandwidth) from a
// measurement on rank `rank` of `model`; bytes_per_weight is the size of one weight
// value in the configured storage type (for the ShardPlan's footprint). The
// descriptive fields (model, shape, strategy, threads, dtype) and the stream
// bandwidth (BenchRecord::set_stream_bandwidth) are the caller's.
void fill_decode_figures(BenchRecord& record, const Model& model, int rank,
                         const DecodeCase& decode_case, const DecodeSettings& settings,
                         const DecodeMeasurement& measurement, int bytes_per_weight);

}  // namespace gs::bench
