#include <cmath>
#include <numeric>
#include <tuple>

#include "common/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/reference.h"
#include "tests/kernels/test_util.h"

namespace gs::kernels::test {
namespace {

constexpr float kEps = 1e-5f;

// (threads, rows, row length): 1 x 7 is tiny, 64 x 1031 large enough to thread.
using RowsCase = std::tuple<int, int, int>;

class RowsTest : public ::testing::TestWithParam<RowsCase> {};

TEST_P(RowsTest, RmsnormMatchesReferenceAndMayAlias) {
  const auto [threads, n, dim] = GetParam();
  ScopedThreads scoped(threads);
  std::mt19937 rng(n * 7919 + dim);
  const auto x = random_floats(std::size_t(n) * dim, rng);  // (n, dim)
  const auto weight = random_floats(dim, rng, 0.5f, 1.5f);  // (dim)
  std::vector<float> want(x.size()), got(x.size());
  ref::rmsnorm(x.data(), weight.data(), want.data(), n, dim, kEps);
  cpu::rmsnorm(x.data(), weight.data(), got.data(), n, dim, kEps);
  expect_close(got, want, kFloatVsDouble);

  std::vector<float> in_place = x;
  cpu::rmsnorm(in_place.data(), weight.data(), in_place.data(), n, dim, kEps);
  expect_close(in_place, want, kFloatVsDouble);
  in_place = x;
  ref::rmsnorm(in_place.data(), weight.data(), in_place.data(), n, dim, kEps);
  expect_close(in_place, want, 0.0);
}

TEST_P(RowsTest, SwigluMatchesReferenceAndMayAliasEitherInput) {
  const auto [threads, n, dim] = GetParam();
  ScopedThreads scoped(threads);
  const std::size_t size = std::size_t(n) * dim;
  std::mt19937 rng(size);
  const auto gate = random_floats(size, rng, -6.0f, 6.0f);  // covers silu's bend and tails
  const auto up = random_floats(size, rng);
  std::vector<float> want(size), got(size);
  ref::swiglu(gate.data(), up.data(), want.data(), size);
  cpu::swiglu(gate.data(), up.data(), got.data(), size);
  expect_close(got, want, kFloatVsDouble);

  std::vector<float> into_gate = gate, into_up = up;
  cpu::swiglu(into_gate.data(), up.data(), into_gate.data(), size);
  cpu::swiglu(gate.data(), into_up.data(), into_up.data(), size);
  expect_close(into_gate, want, kFloatVsDouble);
  expect_close(into_up, want, kFloatVsDouble);
}

TEST_P(RowsTest, AddMatchesReference) {
  const auto [threads, n, dim] = GetParam();
  ScopedThreads scoped(threads);
  const std::size_t size = std::size_t(n) * dim;
  std::mt19937 rng(size + 1);
  const auto x = random_floats(size, rng);
  const auto y = random_floats(size, rng);
  std::vector<float> want = y, got = y;
  ref::add(want.data(), x.data(), size);
  cpu::add(got.data(), x.data(), size);
  expect_close(got, want, 0.0);  // one float addition each: must be exact
  for (std::size_t i = 0; i < size; ++i) ASSERT_EQ(want[i], y[i] + x[i]);
}

INSTANTIATE_TEST_SUITE_P(Shapes, RowsTest,
                         ::testing::Combine(::testing::Values(1, 2), ::testing::Values(1, 3, 64),
                                            ::testing::Values(7, 128, 1031)));

// (threads, tokens, heads, head_dim)
using RopeCase = std::tuple<int, int, int, int>;

class RopeTest : public ::testing::TestWithParam<RopeCase> {};

constexpr int kRopePositions = 4096;

// Llama-style tables: angle(p, i) = p * 10000^(-2i/head_dim), (positions, head_dim/2).
void rope_tables(int head_dim, std::vector<float>& cos_table, std::vector<float>& sin_table) {
  const int half = head_dim / 2;
  cos_table.resize(std::size_t(kRopePositions) * half);
  sin_table.resize(cos_table.size());
  for (int p = 0; p < kRopePositions; ++p) {
    for (int i = 0; i < half; ++i) {
      const double angle = p * std::pow(10000.0, -2.0 * i / head_dim);
      cos_table[std::size_t(p) * half + i] = float(std::cos(angle));
      sin_table[std::size_t(p) * half + i] = float(std::sin(angle));
    }
  }
}

TEST_P(RopeTest, FastMatchesReferenceAtManyPositions) {
  const auto [threads, n_tokens, n_heads, head_dim] = GetParam();
  ScopedThreads scoped(threads);
  std::vector<float> cos_table, sin_table;
  rope_tables(head_dim, cos_table, sin_table);
  std::mt19937 rng(n_tokens * 31 + n_heads * 7 + head_dim);
  std::uniform_int_distribution<int> position(0, kRopePositions - 1);
  std::vector<int> positions(n_tokens);
  for (int& p : positions) p = position(rng);
  positions[0] = 0;
  if (n_tokens > 1) positions[1] = kRopePositions - 1;
  const auto x = random_floats(std::size_t(n_tokens) * n_heads * head_dim, rng);
  std::vector<float> want = x, got = x;  // (n_tokens, n_heads, head_dim)
  ref::rope(want.data(), n_tokens, n_heads, head_dim, positions.data(), cos_table.data(),
            sin_table.data());
  cpu::rope(got.data(), n_tokens, n_heads, head_dim, positions.data(), cos_table.data(),
            sin_table.data());
  expect_close(got, want, kFloatVsDouble);
}

INSTANTIATE_TEST_SUITE_P(Shapes, RopeTest,
                         ::testing::Combine(::testing::Values(1, 2), ::testing::Values(1, 5, 300),
                                            ::testing::Values(1, 3, 8),
                                            ::testing::Values(2, 64, 128)));

TEST(RopeReference, PositionZeroIsIdentityAndRotationKeepsPairLengths) {
  const int head_dim = 16, half = head_dim / 2;
  std::vector<float> cos_table, sin_table;
  rope_tables(head_dim, cos_table, sin_table);
  std::mt19937 rng(5);
  const auto x = random_floats(2 * head_dim, rng);  // (2 tokens, 1 head, head_dim)
  std::vector<float> y = x;
  const int positions[] = {0, 1234};
  ref::rope(y.data(), 2, 1, head_dim, positions, cos_table.data(), sin_table.data());
  for (int i = 0; i < head_dim; ++i) EXPECT_EQ(y[i], x[i]);
  for (int i = 0; i < half; ++i) {
    const float* a = x.data() + head_dim + 2 * i;
    const float* b = y.data() + head_dim + 2 * i;
    EXPECT_NEAR(std::hypot(a[0], a[1]), std::hypot(b[0], b[1]), 1e-6);
    // The rotation is by the table's angle: b = a * (cos + i sin) as complex numbers.
    const float c = cos_table[1234 * half + i], s = sin_table[1234 * half + i];
    EXPECT_NEAR(b[0], a[0] * c - a[1] * s, 1e-6);
    EXPECT_NEAR(b[1], a[0] * s + a[1] * c, 1e-6);
  }
}

TEST(RopeKernels, RejectOddHeadDim) {
  float x[3] = {};
  const int position = 0;
  const float table[1] = {1.0f};
  EXPECT_THROW(ref::rope(x, 1, 1, 3, &position, table, table), gs::Error);
  EXPECT_THROW(cpu::rope(x, 1, 1, 3, &position, table, table), gs::Error);
}

TEST(SoftmaxReference, SumsToOneAndIsStableForLargeInputs) {
  std::vector<float> x = {1000.0f, 999.0f, 998.0f, -5.0f};
  ref::softmax(x.data(), int(x.size()));
  EXPECT_NEAR(std::accumulate(x.begin(), x.end(), 0.0), 1.0, 1e-6);
  const double z = 1.0 + std::exp(-1.0) + std::exp(-2.0) + std::exp(-1005.0);
  EXPECT_NEAR(x[0], 1.0 / z, 1e-7);
  EXPECT_NEAR(x[1], std::exp(-1.0) / z, 1e-7);
  EXPECT_NEAR(x[2], std::exp(-2.0) / z, 1e-7);
  EXPECT_EQ(x[3], 0.0f);
}

TEST(Threads, SetThreadsValidatesAndApplies) {
  ScopedThreads scoped(1);
  EXPECT_EQ(cpu::threads(), 1);
  cpu::set_threads(2);
  EXPECT_EQ(cpu::threads(), 2);
  EXPECT_THROW(cpu::set_threads(0), gs::Error);
  EXPECT_THROW(cpu::set_threads(-3), gs::Error);
  EXPECT_EQ(cpu::threads(), 2);
}

}  // namespace
}  // namespace gs::kernels::test
