// regroup_kv_rows on small tensors whose every value says where it came from, so
// a wrong head, row or column shows up as a wrong number.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/convert/kv_regrouping.h"
#include "common/check.h"

namespace gs {
namespace {

constexpr int kHeadDim = 4;
constexpr int kCols = 3;

// Value of (head, row within head, col): 100 * head + 10 * row + col.
std::vector<float> labelled_heads(int heads) {
  std::vector<float> v;
  for (int h = 0; h < heads; ++h)
    for (int r = 0; r < kHeadDim; ++r)
      for (int c = 0; c < kCols; ++c) v.push_back(100.0f * h + 10.0f * r + c);
  return v;
}

float at(const std::vector<float>& v, int head, int row, int col) {
  return v[(static_cast<std::size_t>(head) * kHeadDim + row) * kCols + col];
}

std::vector<float> regroup(const std::vector<float>& rows, int from, int to, KvInit init,
                           std::uint64_t seed = 0) {
  return regroup_kv_rows(rows, kCols, {kHeadDim, from, to, init, seed});
}

TEST(KvRegrouping, MeanPoolsConsecutiveHeads) {
  const std::vector<float> out = regroup(labelled_heads(8), 8, 2, KvInit::mean);
  ASSERT_EQ(out.size(), 2u * kHeadDim * kCols);
  for (int r = 0; r < kHeadDim; ++r) {
    for (int c = 0; c < kCols; ++c) {
      EXPECT_EQ(at(out, 0, r, c), 150.0f + 10 * r + c);  // heads 0..3: mean 1.5
      EXPECT_EQ(at(out, 1, r, c), 550.0f + 10 * r + c);  // heads 4..7: mean 5.5
    }
  }
}

TEST(KvRegrouping, FirstKeepsTheFirstHeadOfEachGroup) {
  const std::vector<float> in = labelled_heads(8);
  const std::vector<float> out = regroup(in, 8, 4, KvInit::first);
  for (int g = 0; g < 4; ++g)
    for (int r = 0; r < kHeadDim; ++r)
      for (int c = 0; c < kCols; ++c) EXPECT_EQ(at(out, g, r, c), at(in, 2 * g, r, c));
}

TEST(KvRegrouping, ExpandingCopiesEachGroupsHead) {
  const std::vector<float> in = labelled_heads(2);
  for (KvInit init : {KvInit::mean, KvInit::first}) {
    const std::vector<float> out = regroup(in, 2, 8, init);
    for (int g = 0; g < 8; ++g)
      for (int r = 0; r < kHeadDim; ++r)
        for (int c = 0; c < kCols; ++c) EXPECT_EQ(at(out, g, r, c), at(in, g / 4, r, c));
  }
}

TEST(KvRegrouping, ExpandThenMeanPoolIsExact) {
  // Values with full 24-bit mantissas, where a float sum of copies would round.
  std::vector<float> in(3 * kHeadDim * kCols);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = std::sin(1.0f + i) / 3.0f;
  EXPECT_EQ(regroup(regroup(in, 3, 12, KvInit::mean), 12, 3, KvInit::mean), in);
  EXPECT_EQ(regroup(regroup(in, 3, 9, KvInit::mean), 9, 3, KvInit::mean), in);  // 3 copies
}

TEST(KvRegrouping, SameGroupsIsIdentity) {
  const std::vector<float> in = labelled_heads(4);
  EXPECT_EQ(regroup(in, 4, 4, KvInit::mean), in);
  EXPECT_EQ(regroup(in, 4, 4, KvInit::first), in);
}

TEST(KvRegrouping, RandomIsSeededWithTheOriginalScale) {
  std::vector<float> in(8 * kHeadDim * 64);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = 0.05f * std::sin(0.7f * i);  // RMS ~0.035
  auto random = [&](std::uint64_t seed) { return regroup_kv_rows(in, 64, {kHeadDim, 8, 2, KvInit::random, seed}); };
  const std::vector<float> a = random(7);
  EXPECT_EQ(a, random(7));
  EXPECT_NE(a, random(8));
  auto rms = [](const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += static_cast<double>(x) * x;
    return std::sqrt(s / v.size());
  };
  ASSERT_EQ(a.size(), 2u * kHeadDim * 64);
  EXPECT_NEAR(rms(a) / rms(in), 1.0, 0.1);
}

TEST(KvRegrouping, IncompatibleGroupCountsAreRefused) {
  EXPECT_NO_THROW(check_kv_regrouping(8, 8, 2));
  EXPECT_NO_THROW(check_kv_regrouping(8, 2, 8));
  EXPECT_NO_THROW(check_kv_regrouping(8, 4, 1));
  EXPECT_THROW(check_kv_regrouping(8, 8, 3), Error);   // 3 does not divide 8 heads
  EXPECT_THROW(check_kv_regrouping(12, 4, 3), Error);  // neither 4 nor 3 divides the other
  EXPECT_THROW(check_kv_regrouping(12, 4, 6), Error);
  EXPECT_THROW(check_kv_regrouping(8, 8, 0), Error);
  EXPECT_THROW(regroup(labelled_heads(4), 4, 3, KvInit::mean), Error);
  EXPECT_THROW(regroup(labelled_heads(3), 4, 2, KvInit::mean), Error);  // wrong size
}

TEST(KvRegrouping, MethodNames) {
  for (KvInit init : {KvInit::mean, KvInit::first, KvInit::random})
    EXPECT_EQ(kv_init_from_name(kv_init_name(init)), init);
  EXPECT_THROW(kv_init_from_name("median"), Error);
}

}  // namespace
}  // namespace gs
