#include <tuple>

#include "common/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/reference.h"
#include "tests/kernels/attention_case.h"

namespace gs::kernels::test {
namespace {

// Runs the fast kernel with exactly the scratch it asks for.
std::vector<float> run_fast(const AttentionCase& c, int max_q_per_kv) {
  std::vector<float> out;
  std::vector<float> scratch(cpu::gqa_attention_scratch_floats(max_q_per_kv, c.table_positions()));
  cpu::gqa_attention(c.batch(out), c.view(), scratch);
  return out;
}

std::vector<float> run_reference(const AttentionCase& c) {
  std::vector<float> out;
  ref::gqa_attention(c.batch(out), c.view());
  return out;
}

// (threads, query heads per KV head, KV heads, head_dim): group 1 is MHA (G = H),
// one KV head is MQA (G = 1); 17 leaves a remainder after every simd width.
using GqaCase = std::tuple<int, int, int, int>;

class GqaTest : public ::testing::TestWithParam<GqaCase> {};

TEST_P(GqaTest, FastMatchesReference) {
  const auto [threads, group, n_kv_heads, head_dim] = GetParam();
  ScopedThreads scoped(threads);
  std::mt19937 rng(group * 1000 + n_kv_heads * 100 + head_dim);
  const auto c = make_attention_case(even_groups(n_kv_heads, group), n_kv_heads, head_dim, 40, rng);
  expect_close(run_fast(c, group), run_reference(c), kFloatVsDouble);
}

INSTANTIATE_TEST_SUITE_P(Groups, GqaTest,
                         ::testing::Combine(::testing::Values(1, 2), ::testing::Range(1, 9),
                                            ::testing::Values(1, 2, 3), ::testing::Values(17, 64)));

TEST(GqaAttention, ResultsDoNotDependOnBlockSizeOrPlacement) {
  // Paged attention equals attention over one contiguous run per sequence, bit for
  // bit: rows are added in position order whatever the blocks.
  for (int head_dim : {64, 128, 24}) {
    SCOPED_TRACE(head_dim);
    std::mt19937 rng(head_dim);
    const int capacity = 150;  // not a multiple of any block size
    const auto contiguous = make_attention_case(even_groups(2, 3), 2, head_dim, capacity, rng, 160);
    ASSERT_EQ(contiguous.width(), 1);
    for (int threads : {1, 2}) {
      ScopedThreads scoped(threads);
      const std::vector<float> want = run_fast(contiguous, 3);
      for (int size : {16, 32, 64}) {
        SCOPED_TRACE(size);
        const AttentionCase paged = contiguous.paged(size, rng);
        EXPECT_EQ(run_fast(paged, 3), want);
        std::vector<float> out;
        ref::gqa_attention(paged.batch(out), paged.view());
        std::vector<float> ref_want;
        ref::gqa_attention(contiguous.batch(ref_want), contiguous.view());
        EXPECT_EQ(out, ref_want);
      }
    }
  }
}

TEST(GqaAttention, UnevenGroupsAsWhenAGroupIsSplitOverRanks) {
  // Qwen2-7B on 8 ranks: 7 query heads of a group go 4 + 3 to two ranks, so a
  // rank may hold 4 heads of one KV head and 3 of the next.
  for (int threads : {1, 2}) {
    ScopedThreads scoped(threads);
    std::mt19937 rng(threads);
    const auto c = make_attention_case({0, 0, 0, 0, 1, 1, 1}, 2, 32, 25, rng);
    expect_close(run_fast(c, 4), run_reference(c), kFloatVsDouble);
  }
}

TEST(GqaAttention, CachedHeadsNoQueryReadsAreNeverTouched) {
  std::mt19937 rng(3);
  auto c = make_attention_case({1, 1, 1}, 3, 16, 20, rng);
  const KvCacheView view = c.view();
  for (int block = 0; block < c.n_blocks(); ++block) {
    for (int h : {0, 2}) {
      const std::size_t begin = view.block_offset(block, h);
      std::fill_n(c.k.begin() + begin, c.block_size * c.head_dim, NAN);
      std::fill_n(c.v.begin() + begin, c.block_size * c.head_dim, NAN);
    }
  }
  for (int threads : {1, 2}) {
    ScopedThreads scoped(threads);
    expect_close(run_fast(c, 3), run_reference(c), kFloatVsDouble);
  }
}

TEST(GqaAttention, ScratchScalesWithThreadsAndIsChecked) {
  ScopedThreads scoped(2);
  EXPECT_EQ(cpu::gqa_attention_scratch_floats(4, 100), 2u * 4 * (100 + 1));  // + a sum per head
  std::mt19937 rng(4);
  const auto c = make_attention_case(even_groups(2, 4), 2, 8, 10, rng);
  std::vector<float> out;
  // Scratch sized for groups of 3 (or for one thread) is too small for groups of 4.
  std::vector<float> scratch(cpu::gqa_attention_scratch_floats(3, c.table_positions()));
  EXPECT_THROW(cpu::gqa_attention(c.batch(out), c.view(), scratch), gs::Error);
  cpu::set_threads(1);
  scratch.resize(cpu::gqa_attention_scratch_floats(4, c.table_positions()));
  cpu::set_threads(2);
  EXPECT_THROW(cpu::gqa_attention(c.batch(out), c.view(), scratch), gs::Error);
}

TEST(GqaAttention, BadBatchesAreRejectedByBothKernels) {
  std::mt19937 rng(5);
  const auto good = make_attention_case(even_groups(2, 2), 2, 8, 10, rng);
  std::vector<float> scratch(cpu::gqa_attention_scratch_floats(4, good.table_positions()));
  auto expect_rejected = [&](const AttentionCase& c, const char* what) {
    std::vector<float> out;
    EXPECT_THROW(ref::gqa_attention(c.batch(out), c.view()), gs::Error) << what;
    EXPECT_THROW(cpu::gqa_attention(c.batch(out), c.view(), scratch), gs::Error) << what;
  };
  auto c = good;
  c.lengths[0] = good.width() * good.block_size + 1;
  expect_rejected(c, "length beyond the block table");
  c = good;
  c.lengths[0] = 0;
  expect_rejected(c, "empty history");
  c = good;
  c.slots[0] = -1;
  expect_rejected(c, "negative block-table row");
  c = good;
  c.blocks[c.slots[0] * c.width()] = c.n_blocks();
  expect_rejected(c, "block outside the pool");
  c = good;
  c.blocks[c.slots[0] * c.width()] = -1;
  expect_rejected(c, "unassigned block");
  c = good;
  c.kv_of_q = {1, 1, 0, 0};
  expect_rejected(c, "kv_of_q decreasing");
  c = good;
  c.kv_of_q = {0, 0, 2, 2};
  expect_rejected(c, "kv_of_q beyond the cache's KV heads");
  std::vector<float> out;
  AttentionBatch batch = good.batch(out);
  batch.head_dim = 4;  // disagrees with the cache's head_dim
  EXPECT_THROW(ref::gqa_attention(batch, good.view()), gs::Error);
  EXPECT_THROW(cpu::gqa_attention(batch, good.view(), scratch), gs::Error);
}

}  // namespace
}  // namespace gs::kernels::test
