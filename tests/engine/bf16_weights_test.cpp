// Weights stored as bf16 (runtime.weight_dtype) with f32 arithmetic. Rounding is
// the only difference from f32 storage: a bf16 model must match the f32 model
// whose matrices were rounded to bf16 beforehand, on every backend and tp, and
// stay close to the unrounded f32 model.
#include <gtest/gtest.h>
#include <mpi.h>

#include "common/dtype.h"
#include "engine_harness.h"
#include "common/check.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

// Same rounded values and the same kernels: only sgemm's tiling of a prefill can
// order sums differently, moving logits of up to ~7 by ~4e-6 (measured).
constexpr double kSameValuesTolerance = 2e-5;
// Rounding every weight to 8 significant bits (relative error <= 2^-9) moves these
// models' logits (up to ~7) by 0.026-0.038 (measured); 0.1 leaves room and still
// catches a misread element, which is off by far more than 0.2%.
constexpr double kRoundingTolerance = 0.1;

bool is_matrix(WeightKind kind) {
  switch (kind) {
    case WeightKind::attn_norm:
    case WeightKind::ffn_norm:
    case WeightKind::final_norm:
    case WeightKind::bq:
    case WeightKind::bk:
    case WeightKind::bv:
      return false;
    default:
      return true;
  }
}

// The matrices rounded to nearest-even bf16, as the loader stores them; norms and
// biases, which stay f32, untouched.
DenseWeights rounded_to_bf16(const DenseWeights& weights) {
  DenseWeights rounded = weights;
  for (auto& [key, values] : rounded.tensors) {
    if (!is_matrix(key.first)) continue;
    for (float& v : values) v = bf16_to_f32(f32_to_bf16(v));
  }
  return rounded;
}

struct Case {
  ModelConfig config;
  const char* name;
};

std::vector<Case> cases() {
  ModelConfig tied = tiny_config(8, 4);
  tied.tied_embeddings = true;  // the LM head is the bf16 embedding
  ModelConfig bias = tiny_config(4, 2, 16);
  bias.qkv_bias = true;
  return {{tiny_config(8, 2), "H8G2"}, {tied, "H8G4_tied"}, {bias, "H4G2d16_bias"}};
}

TEST(Bf16Weights, MatchF32WeightsRoundedToBf16AndStayCloseToF32) {
  MpiChannels world(MPI_COMM_WORLD);
  for (const Case& c : cases()) {
    try {
      ShardPlan::make(c.config.shape(), world.size(), ShardStrategy::group);
    } catch (const Error&) {
      continue;  // this tp cannot shard the shape; other job sizes cover it
    }
    auto weights = std::make_shared<const DenseWeights>(random_dense_weights(c.config, 77));
    auto rounded = std::make_shared<const DenseWeights>(rounded_to_bf16(*weights));
    const std::vector<int> prompt = {1, 9, 33, 4, 70, 12};
    const int steps = 10;
    for (kernels::BackendKind backend : {kernels::BackendKind::cpu, kernels::BackendKind::reference}) {
      RunSettings f32, bf16;
      f32.backend = bf16.backend = backend;
      f32.max_step_tokens = bf16.max_step_tokens = 4;  // chunked prefill: the sgemm path
      bf16.weights = DType::bf16;
      const GreedyTrace stored_bf16 = run_greedy(*make_in_memory_source(weights), world, prompt, steps, bf16);
      const GreedyTrace pre_rounded = run_greedy(*make_in_memory_source(rounded), world, prompt, steps, f32);
      const GreedyTrace exact = run_greedy(*make_in_memory_source(weights), world, prompt, steps, f32);
      if (world.rank() != 0) continue;
      const std::string where = std::string(c.name) + (backend == kernels::BackendKind::cpu ? " cpu" : " reference");
      EXPECT_EQ(stored_bf16.tokens, pre_rounded.tokens) << where;
      for (int step = 0; step < steps; ++step)
        EXPECT_LE(max_abs_diff(stored_bf16.logits[step], pre_rounded.logits[step]), kSameValuesTolerance)
            << where << " step " << step;
      // Only the first step compares like with like: later steps may follow
      // different tokens once rounding flips a near tie.
      EXPECT_LE(max_abs_diff(stored_bf16.logits[0], exact.logits[0]), kRoundingTolerance) << where;
      EXPECT_GT(max_abs_diff(stored_bf16.logits[0], exact.logits[0]), 0.0) << where << ": nothing was rounded";
    }
  }
}

}  // namespace
}  // namespace gs::testing
