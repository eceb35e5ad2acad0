#include "bench/decode_benchmark.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "common/check.h"

namespace gs::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The q-quantile by nearest rank (q = 0.5 of an even count: the mean of the middle two).
double quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  if (q == 0.5 && n % 2 == 0) return (values[n / 2 - 1] + values[n / 2]) / 2;
  const std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
  return values[std::max<std::size_t>(rank, 1) - 1];
}

}  // namespace

DecodeMeasurement run_decode_benchmark(StepExecutor& executor, TimedTensorChannel& comm,
                                       const DecodeCase& c, const DecodeSettings& s,
                                       const std::function<void(int)>& on_step) {
  const Model& model = executor.model();
  const ModelLimits& limits = model.limits();
  const int vocab = model.config().vocab_size;
  GS_CHECK(c.batch >= 1 && c.batch <= limits.slots && c.context >= 1 &&
               c.context + s.gen_tokens <= limits.capacity && s.gen_tokens >= 1 && s.repeat >= 1 &&
               s.warmup >= 0,
           "decode benchmark: batch " << c.batch << ", context " << c.context << " + "
                                      << s.gen_tokens << " tokens do not fit the model's "
                                      << limits.slots << " slots of " << limits.capacity
                                      << " positions");
  DecodeMeasurement m;
  StepBatch batch;
  std::mt19937_64 rng(s.seed);
  std::uniform_int_distribution<int> token(0, vocab - 1);
  std::vector<int> first_tokens(c.batch);

  const auto prefill_start = Clock::now();
  for (int slot = 0; slot < c.batch; ++slot) {
    for (int begin = 0; begin < c.context; begin += limits.max_step_tokens) {
      const int end = std::min(c.context, begin + limits.max_step_tokens);
      batch.clear();
      for (int p = begin; p < end; ++p) batch.add(token(rng), p, slot, p == c.context - 1);
      // Greedy ids, picked where the logits are (a GPU sends only the ids).
      const std::span<const int> ids = executor.run_argmax(batch);
      if (end == c.context) first_tokens[slot] = ids[0];
      if (on_step) on_step(batch.size());
    }
    if (slot == 0) m.first_token_seconds = seconds_since(prefill_start);
  }
  m.prefill_seconds = seconds_since(prefill_start);

  // Every run decodes from position `context` again, overwriting the previous
  // run's positions, so the cache never needs refilling.
  m.step_seconds.reserve(static_cast<std::size_t>(s.repeat) * s.gen_tokens);
  for (int run = 0; run < s.warmup + s.repeat; ++run) {
    const bool measured = run >= s.warmup;
    if (run == s.warmup) comm.reset();
    std::vector<int> tokens = first_tokens;
    for (int step = 0; step < s.gen_tokens; ++step) {
      batch.clear();
      for (int slot = 0; slot < c.batch; ++slot) batch.add(tokens[slot], c.context + step, slot, true);
      const auto start = Clock::now();
      const std::span<const int> ids = executor.run_argmax(batch);
      if (measured) m.step_seconds.push_back(seconds_since(start));
      std::copy(ids.begin(), ids.end(), tokens.begin());
      if (on_step) on_step(batch.size());
    }
  }
  m.allreduce_seconds = comm.timings().all_reduce.seconds;
  m.allreduce_calls = comm.timings().all_reduce.calls;
  return m;
}

std::int64_t decode_case_tokens(const DecodeCase& c, const DecodeSettings& s) {
  return std::int64_t{c.batch} * (c.context + std::int64_t{s.warmup + s.repeat} * s.gen_tokens);
}

std::int64_t decode_read_bytes(const Model& model, int rank, int batch, double attended) {
  const ModelConfig& config = model.config();
  const ShardPlan& plan = model.plan();
  // The plan counts values; the model's buffers say how many bytes each takes.
  const std::int64_t values = plan.footprint(rank, 1).weight_bytes;
  const double bytes_per_value = static_cast<double>(model.weight_bytes()) / static_cast<double>(values);
  std::int64_t unread = std::int64_t{config.vocab_size} * config.dim;
  if (config.tied_embeddings) unread -= std::int64_t{plan.rank(rank).vocab.size()} * config.dim;
  const double weights = static_cast<double>(model.weight_bytes()) - bytes_per_value * static_cast<double>(unread);

  const ModelLimits& limits = model.limits();
  const double kv_per_position = static_cast<double>(model.kv_cache_bytes()) /
                                 static_cast<double>(limits.pool_blocks() * limits.block_size);
  return static_cast<std::int64_t>(weights + kv_per_position * batch * attended);
}

double mean_attended_positions(int context, int gen_tokens) {
  // Step j writes position context + j and attends to context + j + 1 positions.
  return context + (gen_tokens + 1) / 2.0;
}

void fill_decode_figures(BenchRecord& r, const Model& model, int rank, const DecodeCase& c,
                         const DecodeSettings& s, const DecodeMeasurement& m, int bytes_per_weight) {
  const ShardPlan& plan = model.plan();
  const RankShard& shard = plan.rank(rank);
  r.tp = plan.tp();
  r.batch = c.batch;
  r.context_tokens = c.context;
  r.gen_tokens = s.gen_tokens;
  r.warmup_runs = s.warmup;
  r.measured_runs = s.repeat;

  r.prefill_tokens_per_s = static_cast<double>(c.batch) * c.context / m.prefill_seconds;
  r.time_to_first_token_ms = 1e3 * m.first_token_seconds;
  double decode_seconds = 0;
  for (double step : m.step_seconds) decode_seconds += step;
  const double median = quantile(m.step_seconds, 0.5);
  r.decode_step_median_ms = 1e3 * median;
  r.decode_step_p90_ms = 1e3 * quantile(m.step_seconds, 0.9);
  r.decode_ms_per_token = r.decode_step_median_ms / c.batch;
  r.decode_tokens_per_s = static_cast<double>(c.batch) * m.step_seconds.size() / decode_seconds;

  const ModelLimits& limits = model.limits();
  r.kv_cache_bytes_per_rank = model.kv_cache_bytes();
  r.kv_bytes_per_token_per_rank = model.kv_cache_bytes() / (limits.pool_blocks() * limits.block_size);
  r.kv_replication = 1;
  for (int kv = shard.kv_heads.begin; kv < shard.kv_heads.end; ++kv)
    r.kv_replication = std::max(r.kv_replication, plan.replication_of(kv));
  r.weight_bytes_per_rank = model.weight_bytes();
  r.plan_weight_bytes_per_rank = plan.footprint(rank, bytes_per_weight).weight_bytes;

  r.allreduce_ms_per_step = 1e3 * m.allreduce_seconds / static_cast<double>(m.step_seconds.size());
  r.allreduce_share = m.allreduce_seconds / decode_seconds;
  r.decode_read_bytes_per_step =
      decode_read_bytes(model, rank, c.batch, mean_attended_positions(c.context, s.gen_tokens));
  r.achieved_gb_per_s = static_cast<double>(r.decode_read_bytes_per_step) / median / 1e9;
}

}  // namespace gs::bench
