// tp = N against tp = 1 (every rank recomputes tp = 1 alone on MPI_COMM_SELF) and
// against the naive float64 forward, on random models of many shapes.
#include <gtest/gtest.h>
#include <mpi.h>

#include "engine_harness.h"
#include "common/check.h"
#include "naive_llama.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

// Float32 sums in a different order (split heads, split MLP, all-reduce) move
// logits of O(1) by ~1e-6; 1e-4 leaves room and still catches any wrong slice.
constexpr double kTpTolerance = 1e-4;
// Against the float64 naive forward.
constexpr double kNaiveTolerance = 2e-4;

struct Shape {
  int heads, kv_heads, head_dim;
  bool tied = false, qkv_bias = false;
};

std::string shape_name(const Shape& s) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on the + chain.
  std::string name = "H";
  name += std::to_string(s.heads);
  name += "G";
  name += std::to_string(s.kv_heads);
  name += "d";
  name += std::to_string(s.head_dim);
  if (s.tied) name += "_tied";
  if (s.qkv_bias) name += "_bias";
  return name;
}

class TpInvariance : public ::testing::TestWithParam<std::tuple<Shape, ShardStrategy>> {};

TEST_P(TpInvariance, SameTokensAndLogitsAsTpOneAndTheNaiveForward) {
  const auto [shape, strategy] = GetParam();
  MpiChannels world(MPI_COMM_WORLD), self(MPI_COMM_SELF);
  ModelConfig config = tiny_config(shape.heads, shape.kv_heads, shape.head_dim);
  config.tied_embeddings = shape.tied;
  config.qkv_bias = shape.qkv_bias;
  try {
    ShardPlan::make(config.shape(), world.size(), strategy);
  } catch (const Error& e) {
    GTEST_SKIP() << "tp = " << world.size() << " refused, as the rule says: " << e.what();
  }
  auto weights = std::make_shared<const DenseWeights>(random_dense_weights(config, 1234));
  const std::unique_ptr<WeightSource> source = make_in_memory_source(weights);
  const std::vector<int> prompt = {1, 17, 42, 5, 88, 23, 61};
  const int steps = 12;

  RunSettings settings;
  settings.strategy = strategy;
  settings.max_step_tokens = 3;  // chunked prefill on the sharded run
  const GreedyTrace sharded = run_greedy(*source, world, prompt, steps, settings);
  const GreedyTrace single = run_greedy(*source, self, prompt, steps, {});
  if (world.rank() != 0) return;

  EXPECT_EQ(sharded.tokens, single.tokens);
  std::vector<int> context = prompt;
  for (int step = 0; step < steps; ++step) {
    EXPECT_LE(max_abs_diff(sharded.logits[step], single.logits[step]), kTpTolerance) << "step " << step;
    if (step % 4 == 0) {
      const std::vector<double> naive = naive_next_logits(*weights, context);
      const std::vector<float> truth(naive.begin(), naive.end());
      EXPECT_LE(max_abs_diff(sharded.logits[step], truth), kNaiveTolerance) << "step " << step;
    }
    context.push_back(single.tokens[step]);
  }
}

INSTANTIATE_TEST_SUITE_P(
    RandomModels, TpInvariance,
    ::testing::Combine(::testing::Values(Shape{8, 1, 8}, Shape{8, 2, 8}, Shape{8, 4, 8}, Shape{8, 8, 8},
                                         Shape{6, 3, 8}, Shape{28, 4, 4}, Shape{8, 4, 8, true, false},
                                         Shape{4, 2, 16, false, true}),
                       ::testing::Values(ShardStrategy::group, ShardStrategy::replicate)),
    [](const auto& info) {
      return shape_name(std::get<0>(info.param)) + "_" + strategy_name(std::get<1>(info.param));
    });

}  // namespace
}  // namespace gs::testing
