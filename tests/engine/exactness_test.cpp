// The paper's algebraic identities at model level. GQA-H is MHA and GQA-1 is MQA
// (checked against the naive forward, whose attention reads K/V head h/(H/G)
// straight from the formula, in tp_invariance_test); here: a GQA-G model expanded to
// MHA by copying each group's K/V head gives the same logits as the GQA-G model.
#include <algorithm>

#include <gtest/gtest.h>
#include <mpi.h>

#include "engine_harness.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

// Same arithmetic on copied heads; only summation order in the sharded layout differs.
constexpr double kTolerance = 1e-5;

// Each of the H query heads gets its own copy of its group's K/V rows.
DenseWeights expand_to_mha(const DenseWeights& gqa) {
  DenseWeights mha = gqa;
  const ModelConfig& c = gqa.config;
  mha.config.n_kv_heads = c.n_heads;
  const int d = c.head_dim, group = c.n_heads / c.n_kv_heads;
  for (int l = 0; l < c.n_layers; ++l) {
    for (WeightKind kind : {WeightKind::wk, WeightKind::wv}) {
      const std::vector<float>& src = gqa.at(kind, l);
      std::vector<float>& dst = mha.at(kind, l);
      dst.resize(static_cast<std::size_t>(c.n_heads) * d * c.dim);
      for (int h = 0; h < c.n_heads; ++h)
        std::copy_n(src.begin() + static_cast<std::size_t>(h / group) * d * c.dim, d * c.dim,
                    dst.begin() + static_cast<std::size_t>(h) * d * c.dim);
    }
  }
  return mha;
}

TEST(Exactness, GqaExpandedToMhaGivesTheSameLogits) {
  MpiChannels world(MPI_COMM_WORLD);
  for (const int groups : {1, 2, 4}) {
    const ModelConfig config = tiny_config(8, groups);
    const std::vector<int> valid = ShardPlan::valid_group_tp(config.shape());
    if (std::find(valid.begin(), valid.end(), world.size()) == valid.end())
      continue;  // no group layout at this tp; the other job sizes cover this G
    auto gqa = std::make_shared<const DenseWeights>(random_dense_weights(config, 99));
    auto mha = std::make_shared<const DenseWeights>(expand_to_mha(*gqa));
    ASSERT_EQ(mha->config.n_kv_heads, 8);
    const std::vector<int> prompt = {1, 7, 30, 2, 55};
    const GreedyTrace a = run_greedy(*make_in_memory_source(gqa), world, prompt, 8);
    const GreedyTrace b = run_greedy(*make_in_memory_source(mha), world, prompt, 8);
    if (world.rank() != 0) continue;
    EXPECT_EQ(a.tokens, b.tokens) << "G = " << groups;
    for (std::size_t s = 0; s < a.logits.size(); ++s)
      EXPECT_LE(max_abs_diff(a.logits[s], b.logits[s]), kTolerance) << "G = " << groups << " step " << s;
  }
}

}  // namespace
}  // namespace gs::testing
