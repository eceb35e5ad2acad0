// KvBlocks: rank 0's block accounting, prefix sharing and eviction, checked against
// block counts worked out by hand.
#include "engine/kv_blocks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "common/check.h"

namespace gs {
namespace {

std::vector<int> iota_tokens(int n, int first = 1) {
  std::vector<int> t(n);
  std::iota(t.begin(), t.end(), first);
  return t;
}

TEST(KvBlocks, GrowsBlockByBlockAndRefusesBeyondThePool) {
  KvBlocks kv(/*n_blocks=*/4, /*block_size=*/16, /*sequences=*/2, /*max_length=*/128, false);
  EXPECT_EQ(kv.open(0, iota_tokens(5)), 0);
  ASSERT_TRUE(kv.grow(0, 1));
  EXPECT_EQ(kv.table(0).size(), 1u);
  ASSERT_TRUE(kv.grow(0, 16));
  EXPECT_EQ(kv.table(0).size(), 1u);
  ASSERT_TRUE(kv.grow(0, 17));
  EXPECT_EQ(kv.table(0).size(), 2u);
  EXPECT_EQ(kv.usage().used, 2);

  kv.open(1, iota_tokens(3));
  EXPECT_EQ(kv.shortfall(1, 49), 2);  // needs 4 blocks, 2 are free
  EXPECT_FALSE(kv.grow(1, 49));
  EXPECT_TRUE(kv.table(1).empty());  // a refused grow changes nothing
  EXPECT_EQ(kv.usage().used, 2);
  ASSERT_TRUE(kv.grow(1, 32));
  EXPECT_EQ(kv.usage().free(), 0);

  // Every block appears in exactly one table.
  std::vector<int> all(kv.table(0).begin(), kv.table(0).end());
  all.insert(all.end(), kv.table(1).begin(), kv.table(1).end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<int>{0, 1, 2, 3}));

  kv.close(0);
  EXPECT_EQ(kv.usage().used, 2);
  EXPECT_EQ(kv.usage().cached, 0);  // nothing remembered without prefix caching
  EXPECT_TRUE(kv.grow(1, 64));
}

TEST(KvBlocks, SharesFullBlocksOfAnIdenticalPrefixOnly) {
  KvBlocks kv(8, 16, 3, 128, true);
  const std::vector<int> first = iota_tokens(40);
  kv.open(0, first);
  ASSERT_TRUE(kv.grow(0, 40));
  kv.computed(0, first);  // blocks 0 and 1 full, block 2 holds 8 positions

  std::vector<int> second = iota_tokens(33);
  second[32] = 999;  // same 32 tokens, then different
  EXPECT_EQ(kv.open(1, second), 32);
  EXPECT_EQ(kv.table(1)[0], kv.table(0)[0]);
  EXPECT_EQ(kv.table(1)[1], kv.table(0)[1]);
  ASSERT_TRUE(kv.grow(1, 33));
  EXPECT_NE(kv.table(1)[2], kv.table(0)[2]);
  EXPECT_EQ(kv.usage().used, 4);  // 3 + 1: the two shared blocks are counted once

  // A prompt of exactly two blocks shares one: its last token must be computed.
  EXPECT_EQ(kv.open(2, iota_tokens(32)), 16);
  kv.close(2);

  // A difference inside the second block stops sharing after the first.
  std::vector<int> third = iota_tokens(40);
  third[20] = 999;
  EXPECT_EQ(kv.open(2, third), 16);
  kv.close(2);
  // A difference in the first block shares nothing.
  third = iota_tokens(40);
  third[0] = 999;
  EXPECT_EQ(kv.open(2, third), 0);
}

TEST(KvBlocks, ReleasedPrefixesStayCachedUntilTheirRoomIsNeeded) {
  KvBlocks kv(3, 16, 2, 64, true);
  const std::vector<int> prompt = iota_tokens(33);
  kv.open(0, prompt);
  ASSERT_TRUE(kv.grow(0, 33));
  kv.computed(0, prompt);
  kv.close(0);
  EXPECT_EQ(kv.usage().used, 0);
  EXPECT_EQ(kv.usage().cached, 2);
  EXPECT_EQ(kv.usage().free(), 3);

  EXPECT_EQ(kv.open(0, prompt), 32);  // both blocks found again
  EXPECT_EQ(kv.usage().cached, 0);
  kv.close(0);

  // Another sequence needing all three blocks evicts the cached ones...
  const std::vector<int> other = iota_tokens(48, 500);
  kv.open(1, other);
  ASSERT_TRUE(kv.grow(1, 48));
  EXPECT_EQ(kv.usage().cached, 0);
  kv.close(1);
  // ...so the first prompt is no longer found.
  EXPECT_EQ(kv.open(0, prompt), 0);
}

TEST(KvBlocks, EvictsTheLeastRecentlyReleasedFirst) {
  KvBlocks kv(4, 16, 3, 64, true);
  const std::vector<int> a = iota_tokens(17, 1), b = iota_tokens(17, 100);
  for (auto [seq, prompt] : {std::pair{0, &a}, std::pair{1, &b}}) {
    kv.open(seq, *prompt);
    ASSERT_TRUE(kv.grow(seq, 17));
    kv.computed(seq, *prompt);
  }
  kv.close(0);  // a's first block cached first (its partial second block is free)
  kv.close(1);
  kv.open(2, iota_tokens(40, 300));
  ASSERT_TRUE(kv.grow(2, 40));  // the 2 free blocks + the oldest cached one
  kv.close(2);
  EXPECT_EQ(kv.open(0, a), 0);
  EXPECT_EQ(kv.open(1, b), 16);
}

TEST(KvBlocks, AttachesTheTablesOfTheStepsSequences) {
  KvBlocks kv(8, 16, 3, 128, false);
  kv.open(0, iota_tokens(1));
  kv.open(2, iota_tokens(1));
  ASSERT_TRUE(kv.grow(0, 40));
  ASSERT_TRUE(kv.grow(2, 10));
  StepBatch batch;
  batch.add(7, 39, 0, true);
  batch.add(8, 9, 2, true);
  batch.add(9, 10, 2, false);  // a second token of sequence 2 adds no table
  kv.attach_tables(batch);
  EXPECT_EQ(batch.table_slots, (std::vector<int>{0, 2}));
  ASSERT_EQ(batch.table_width, 3);
  const std::vector<int> expected = {kv.table(0)[0], kv.table(0)[1], kv.table(0)[2],
                                     kv.table(2)[0], -1, -1};
  EXPECT_EQ(batch.tables, expected);

  batch.add(1, 0, 1, true);  // sequence 1 is not open
  EXPECT_THROW(kv.attach_tables(batch), Error);
}

TEST(KvBlocks, RefusesBadGeometryAndMisuse) {
  EXPECT_THROW(KvBlocks(4, 24, 1, 64, false), Error);  // not a multiple of the 16-key tile
  EXPECT_THROW(KvBlocks(0, 16, 1, 64, false), Error);
  KvBlocks kv(4, 16, 1, 64, false);
  kv.open(0, iota_tokens(1));
  EXPECT_THROW(kv.open(0, iota_tokens(1)), Error);
  EXPECT_THROW(kv.grow(0, 65), Error);  // beyond max_length
}

}  // namespace
}  // namespace gs
