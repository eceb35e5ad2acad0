// NllAccumulator and the window split on hand-made inputs whose NLL is known exactly.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "engine/perplexity.h"
#include "common/check.h"

namespace gs {
namespace {

TEST(NllAccumulator, EqualLogitsCostLnVocabPerToken) {
  NllAccumulator nll(4);
  const std::vector<float> logits(3 * 4, 0.0f);
  nll.add(logits, std::vector<int>{0, 3, 2});
  EXPECT_EQ(nll.tokens(), 3);
  EXPECT_DOUBLE_EQ(nll.mean_nll(), std::log(4.0));
  EXPECT_DOUBLE_EQ(nll.perplexity(), 4.0);
}

TEST(NllAccumulator, HandComputedSoftmax) {
  // Row 0: softmax(0, ln 3) = (1/4, 3/4); row 1: (ln 1, ln 2, ln 5) -> (1/8, 2/8, 5/8).
  NllAccumulator nll(3);
  const float ln3 = std::log(3.0f), ln2 = std::log(2.0f), ln5 = std::log(5.0f);
  nll.add(std::vector<float>{0.0f, ln3, -1e30f}, std::vector<int>{1});
  nll.add(std::vector<float>{0.0f, ln2, ln5}, std::vector<int>{0});
  // The float32 logits are ln 3 etc. rounded; the double log-softmax is exact for them.
  const double row0 = std::log(1.0 + std::exp(static_cast<double>(ln3))) - static_cast<double>(ln3);
  const double row1 = std::log(1.0 + std::exp(static_cast<double>(ln2)) + std::exp(static_cast<double>(ln5)));
  EXPECT_NEAR(row0, std::log(4.0 / 3.0), 1e-7);
  EXPECT_NEAR(row1, std::log(8.0), 1e-7);
  EXPECT_DOUBLE_EQ(nll.total_nll(), row0 + row1);
  EXPECT_DOUBLE_EQ(nll.mean_nll(), (row0 + row1) / 2);
}

TEST(NllAccumulator, LargeLogitsDoNotOverflow) {
  NllAccumulator nll(2);
  nll.add(std::vector<float>{1000.0f, 0.0f, 1000.0f, 0.0f}, std::vector<int>{0, 1});
  // -log(1 / (1 + e^-1000)) ~ e^-1000 = 0, and -log(e^-1000 / (1 + e^-1000)) ~ 1000.
  EXPECT_DOUBLE_EQ(nll.total_nll(), 1000.0);
}

TEST(NllAccumulator, RejectsBadInput) {
  NllAccumulator nll(4);
  EXPECT_THROW(nll.mean_nll(), Error);  // nothing added
  EXPECT_THROW(nll.add(std::vector<float>(4, 0.0f), std::vector<int>{4}), Error);
  EXPECT_THROW(nll.add(std::vector<float>(4, 0.0f), std::vector<int>{-1}), Error);
  EXPECT_THROW(nll.add(std::vector<float>(5, 0.0f), std::vector<int>{0}), Error);
  EXPECT_THROW(nll.add(std::vector<float>{NAN, 0, 0, 0}, std::vector<int>{1}), Error);
  EXPECT_THROW(NllAccumulator(0), Error);
}

TEST(SplitWindows, NonOverlappingAndCoverEveryToken) {
  const std::vector<TokenWindow> w = split_windows(10, 4);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].begin, 0);
  EXPECT_EQ(w[0].end, 4);
  EXPECT_EQ(w[1].begin, 4);
  EXPECT_EQ(w[1].end, 8);
  EXPECT_EQ(w[2].begin, 8);
  EXPECT_EQ(w[2].end, 10);
  EXPECT_EQ(split_windows(8, 4).size(), 2u);
  EXPECT_EQ(split_windows(3, 1).size(), 3u);
  EXPECT_TRUE(split_windows(0, 4).empty());
  EXPECT_THROW(split_windows(5, 0), Error);
}

}  // namespace
}  // namespace gs
