// The sharding rule of ../shared/DESIGN.md, case by case.
#include <gtest/gtest.h>

#include "common/check.h"
#include "parallel/shard_plan.h"

namespace gs {
namespace {

ModelShape shape(int heads, int kv_heads, int ffn = 172, int vocab = 512, int head_dim = 8) {
  ModelShape s;
  s.n_heads = heads;
  s.n_kv_heads = kv_heads;
  s.head_dim = head_dim;
  s.dim = heads * head_dim;
  s.ffn_dim = ffn;
  s.vocab_size = vocab;
  s.n_layers = 3;
  return s;
}

// Every query head is computed by exactly one rank and every rank holds the KV
// head each of its query heads reads.
void expect_complete(const ShardPlan& plan) {
  const ModelShape& s = plan.shape();
  std::vector<int> owners(s.n_heads, 0);
  for (const RankShard& r : plan.ranks()) {
    for (int q = r.q_heads.begin; q < r.q_heads.end; ++q) {
      ++owners[q];
      const int kv = r.local_kv_of_q(q - r.q_heads.begin, s) + r.kv_heads.begin;
      EXPECT_EQ(kv, q / (s.n_heads / s.n_kv_heads));
      EXPECT_TRUE(r.kv_heads.contains(kv));
    }
  }
  for (int q = 0; q < s.n_heads; ++q) EXPECT_EQ(owners[q], 1) << "query head " << q;
}

TEST(ShardPlan, TpDividingGroupsGivesWholeGroupsAndNoReplication) {
  const ShardPlan plan = ShardPlan::make(shape(8, 4), 2, ShardStrategy::group);
  expect_complete(plan);
  EXPECT_EQ(plan.rank(0).kv_heads.begin, 0);
  EXPECT_EQ(plan.rank(0).kv_heads.end, 2);
  EXPECT_EQ(plan.rank(1).q_heads.begin, 4);
  EXPECT_EQ(plan.rank(1).q_heads.end, 8);
  EXPECT_EQ(plan.max_replication(), 1);
  EXPECT_TRUE(plan.notes().empty());
}

TEST(ShardPlan, TpAboveGroupsReplicatesEachKvHeadTpOverGTimes) {
  const ShardPlan plan = ShardPlan::make(shape(8, 2), 8, ShardStrategy::group);
  expect_complete(plan);
  EXPECT_EQ(plan.max_replication(), 4);
  for (int kv = 0; kv < 2; ++kv) EXPECT_EQ(plan.replication_of(kv), 4);
  for (const RankShard& r : plan.ranks()) {
    EXPECT_EQ(r.kv_heads.size(), 1);
    EXPECT_EQ(r.q_heads.size(), 1);
  }
}

TEST(ShardPlan, Qwen2SevenBOnEightRanksSplitsEachGroupFourPlusThree) {
  const ShardPlan plan = ShardPlan::make(shape(28, 4, 18944, 152064, 128), 8, ShardStrategy::group);
  expect_complete(plan);
  EXPECT_EQ(plan.max_replication(), 2);
  for (int r = 0; r < 8; r += 2) {
    EXPECT_EQ(plan.rank(r).q_heads.size(), 4);
    EXPECT_EQ(plan.rank(r + 1).q_heads.size(), 3);
    EXPECT_EQ(plan.rank(r).kv_heads.begin, plan.rank(r + 1).kv_heads.begin);
  }
  ASSERT_FALSE(plan.notes().empty());
  EXPECT_NE(plan.notes()[0].find("3 to 4 query heads"), std::string::npos) << plan.notes()[0];
}

TEST(ShardPlan, TpNotDividingGroupsDealsWholeGroupsUnevenlyAndSaysSo) {
  const ShardPlan plan = ShardPlan::make(shape(6, 3), 2, ShardStrategy::group);
  expect_complete(plan);
  EXPECT_EQ(plan.rank(0).kv_heads.size(), 2);
  EXPECT_EQ(plan.rank(1).kv_heads.size(), 1);
  EXPECT_EQ(plan.max_replication(), 1);
  bool reported = false;
  for (const std::string& note : plan.notes()) reported |= note.find("uneven KV groups") != std::string::npos;
  EXPECT_TRUE(reported);
}

TEST(ShardPlan, ImpossibleTpIsAnErrorListingTheValidValues) {
  try {
    ShardPlan::make(shape(8, 2), 3, ShardStrategy::group);
    FAIL() << "tp = 3 with 2 groups must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Valid tp values for this model: 1, 2, 4, 6, 8"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ShardPlan::make(shape(8, 2), 16, ShardStrategy::group), Error);
  EXPECT_THROW(ShardPlan::make(shape(8, 3), 1, ShardStrategy::group), Error);
  EXPECT_THROW(ShardPlan::make(shape(8, 2), 0, ShardStrategy::group), Error);
}

TEST(ShardPlan, ReplicateStrategyKeepsEveryKvHeadOnEveryRank) {
  const ShardPlan plan = ShardPlan::make(shape(8, 2), 4, ShardStrategy::replicate);
  expect_complete(plan);
  for (const RankShard& r : plan.ranks()) EXPECT_EQ(r.kv_heads.size(), 2);
  EXPECT_EQ(plan.max_replication(), 4);
  // Three ranks with whole groups would be refused by `group`, not by `replicate`.
  expect_complete(ShardPlan::make(shape(8, 2), 3, ShardStrategy::replicate));
}

TEST(ShardPlan, MlpAndVocabularySplitsCoverEverythingOnceEvenWhenUneven) {
  const ShardPlan plan = ShardPlan::make(shape(8, 8, 172, 509), 8, ShardStrategy::group);
  int ffn_end = 0, vocab_end = 0;
  for (const RankShard& r : plan.ranks()) {
    EXPECT_EQ(r.ffn.begin, ffn_end);
    EXPECT_EQ(r.vocab.begin, vocab_end);
    EXPECT_TRUE(r.ffn.size() == 21 || r.ffn.size() == 22);
    ffn_end = r.ffn.end;
    vocab_end = r.vocab.end;
  }
  EXPECT_EQ(ffn_end, 172);
  EXPECT_EQ(vocab_end, 509);
}

TEST(ShardPlan, FootprintCountsSlicesAndReplicatedParts) {
  ModelShape s = shape(8, 2, 172, 512);
  const ShardPlan one = ShardPlan::make(s, 1, ShardStrategy::group);
  const ShardPlan four = ShardPlan::make(s, 4, ShardStrategy::group);
  const ShardPlan replicate = ShardPlan::make(s, 4, ShardStrategy::replicate);
  const std::int64_t dim = 64, d = 8, layers = 3;
  // tp = 1: embedding + LM head + norms + every layer's full matrices.
  const std::int64_t per_layer = 8 * d * dim + 2 * 2 * d * dim + dim * 8 * d + 3 * 172 * dim;
  EXPECT_EQ(one.footprint(0).weight_bytes, 4 * (2 * 512 * dim + (2 * layers + 1) * dim + layers * per_layer));
  EXPECT_EQ(one.footprint(0).kv_bytes_per_token, 4 * 2 * layers * 2 * d);
  // tp = 4 > G = 2: each rank holds one KV head; replicate holds both.
  EXPECT_EQ(four.footprint(0).kv_bytes_per_token, 4 * 2 * layers * 1 * d);
  EXPECT_EQ(replicate.footprint(0).kv_bytes_per_token, 4 * 2 * layers * 2 * d);
  EXPECT_GT(replicate.footprint(0).weight_bytes, four.footprint(0).weight_bytes);
}

}  // namespace
}  // namespace gs
