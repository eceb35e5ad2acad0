// The decode benchmark under mpirun, over a sweep of KV group counts G on a tiny
// random model: the per-rank memory it reports must follow the ShardPlan (KV bytes
// scale with the groups a rank holds, weights equal the plan's footprint), and its
// timings must count what they claim (every measured step, two all-reduces per
// layer per step).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "bench/decode_benchmark.h"
#include "bench/random_model_shape.h"
#include "bench/random_weight_source.h"
#include "launch/model_setup.h"
#include "parallel/mpi_channels.h"

namespace gs::bench {
namespace {

constexpr int kHeads = 8, kHeadDim = 8, kLayers = 2, kVocab = 64;

struct Outcome {
  std::int64_t weight_bytes = 0;
  std::int64_t plan_weight_bytes = 0;
  std::int64_t kv_cache_bytes = 0;
  DecodeMeasurement measurement;  // rank 0 only
  BenchRecord record;             // rank 0 only
};

Outcome run_case(int groups, ShardStrategy strategy, const DecodeCase& c, const DecodeSettings& s) {
  MpiChannels world(MPI_COMM_WORLD);
  TimedTensorChannel timed(world.tensors);
  const RandomModelShape shape =
      parse_random_model_shape("h=" + std::to_string(kHeads) + ",g=" + std::to_string(groups) + ",d=" +
                               std::to_string(kHeadDim) + ",layers=" + std::to_string(kLayers) +
                               ",ffn=48,vocab=" + std::to_string(kVocab));
  const ModelConfig config = shape.config(c.context + s.gen_tokens);
  const std::unique_ptr<WeightSource> source = make_random_weight_source(config, 7);
  const ShardPlan plan = ShardPlan::make(config.shape(), world.size(), strategy);
  // Prefill chunks of 8 tokens: a context of 20 takes three steps.
  const ModelLimits limits{c.batch, c.context + s.gen_tokens, 8};
  const std::unique_ptr<LlamaModel> model = LlamaModel::load(*source, plan, timed, limits, kernels::BackendKind::cpu);
  StepExecutor executor(*model, world);
  Outcome out;
  out.weight_bytes = model->weight_bytes();
  out.plan_weight_bytes = plan.footprint(world.rank(), 4).weight_bytes;
  out.kv_cache_bytes = model->kv_cache_bytes();
  if (world.rank() != 0) {
    executor.serve();
    return out;
  }
  out.measurement = run_decode_benchmark(executor, timed, c, s);
  executor.stop();
  fill_decode_figures(out.record, *model, 0, c, s, out.measurement, 4);
  out.record.set_stream_bandwidth(10.0);
  return out;
}

int ranks() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}
bool is_rank0() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank == 0;
}

// KV heads a rank holds, from the sharding rule (tp = 1 or 2 here: G and tp always
// divide one way).
int expected_kv_heads(int groups, ShardStrategy strategy) {
  return strategy == ShardStrategy::replicate ? groups : std::max(1, groups / ranks());
}

const DecodeCase kCase{2, 20};
const DecodeSettings kSettings{4, 1, 2, 3};

TEST(DecodeBenchmark, KvBytesPerRankFollowTheGroupsEachRankHolds) {
  // Each sequence's positions in whole KV-cache blocks of 16.
  const std::int64_t positions = std::int64_t{kCase.batch} * ((kCase.context + kSettings.gen_tokens + 15) / 16 * 16);
  std::map<int, std::int64_t> group_kv;
  for (int groups : {1, 2, 4, 8}) {
    for (ShardStrategy strategy : {ShardStrategy::group, ShardStrategy::replicate}) {
      const Outcome out = run_case(groups, strategy, kCase, kSettings);
      const std::int64_t per_position = 2LL * kLayers * expected_kv_heads(groups, strategy) * kHeadDim * 4;
      EXPECT_EQ(out.kv_cache_bytes, per_position * positions) << "G=" << groups << " " << strategy_name(strategy);
      EXPECT_EQ(out.weight_bytes, out.plan_weight_bytes) << "G=" << groups;
      if (strategy == ShardStrategy::group) group_kv[groups] = out.kv_cache_bytes;
      if (is_rank0()) {
        EXPECT_EQ(out.record.kv_cache_bytes_per_rank, out.kv_cache_bytes);
        EXPECT_EQ(out.record.kv_bytes_per_token_per_rank, per_position);
        EXPECT_EQ(out.record.weight_bytes_per_rank, out.record.plan_weight_bytes_per_rank);
      }
    }
  }
  // The figure the paper is about: twice the groups, twice the cache a rank holds
  // (once every rank owns at least one group of its own).
  EXPECT_EQ(group_kv.at(4), 2 * group_kv.at(2));
  // At tp = 2 MQA's single group is copied to both ranks: as much per rank as G=2.
  EXPECT_EQ(group_kv.at(2), (ranks() == 1 ? 2 : 1) * group_kv.at(1));
  EXPECT_EQ(group_kv.at(8), 2 * group_kv.at(4));
}

TEST(DecodeBenchmark, TimingsCountEveryMeasuredStepAndItsAllReduces) {
  const Outcome out = run_case(2, ShardStrategy::group, kCase, kSettings);
  if (!is_rank0()) return;
  const DecodeMeasurement& m = out.measurement;
  ASSERT_EQ(m.step_seconds.size(), static_cast<std::size_t>(kSettings.repeat * kSettings.gen_tokens));
  for (double step : m.step_seconds) EXPECT_GT(step, 0.0);
  const double decode = std::accumulate(m.step_seconds.begin(), m.step_seconds.end(), 0.0);
  // Two all-reduces per layer per step, and none outside the measured steps.
  EXPECT_EQ(m.allreduce_calls, ranks() > 1 ? 2 * kLayers * kSettings.repeat * kSettings.gen_tokens : 0);
  EXPECT_LT(m.allreduce_seconds, decode);
  EXPECT_GT(m.first_token_seconds, 0.0);
  EXPECT_LE(m.first_token_seconds, m.prefill_seconds);

  const BenchRecord& r = out.record;
  EXPECT_EQ(r.tp, ranks());
  EXPECT_EQ(r.batch, kCase.batch);
  EXPECT_NEAR(r.decode_tokens_per_s, kCase.batch * m.step_seconds.size() / decode, 1e-6 * r.decode_tokens_per_s);
  EXPECT_GE(r.decode_step_p90_ms, r.decode_step_median_ms);
  EXPECT_DOUBLE_EQ(r.decode_ms_per_token, r.decode_step_median_ms / kCase.batch);
  EXPECT_NEAR(r.allreduce_share, m.allreduce_seconds / decode, 1e-12);
  EXPECT_DOUBLE_EQ(r.bandwidth_ratio, r.achieved_gb_per_s / 10.0);
}

TEST(DecodeBenchmark, ReadBytesAreWeightsWithoutTheEmbeddingPlusTheKvAttended) {
  const Outcome out = run_case(4, ShardStrategy::group, kCase, kSettings);
  if (!is_rank0()) return;
  // Step j attends to context + j + 1 positions.
  double attended = 0;
  for (int j = 0; j < kSettings.gen_tokens; ++j) attended += kCase.context + j + 1;
  attended /= kSettings.gen_tokens;
  EXPECT_DOUBLE_EQ(mean_attended_positions(kCase.context, kSettings.gen_tokens), attended);
  const std::int64_t embedding = std::int64_t{kVocab} * kHeads * kHeadDim * 4;
  const double expected = static_cast<double>(out.weight_bytes - embedding) +
                          static_cast<double>(out.record.kv_bytes_per_token_per_rank) * kCase.batch * attended;
  EXPECT_EQ(out.record.decode_read_bytes_per_step, static_cast<std::int64_t>(expected));
  EXPECT_NEAR(out.record.achieved_gb_per_s,
              expected / (out.record.decode_step_median_ms * 1e-3) / 1e9, 1e-6 * out.record.achieved_gb_per_s);
}

}  // namespace
}  // namespace gs::bench
