#include <tuple>

#include "common/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/reference.h"
#include "kernels/cpu/small_batch.h"
#include "tests/kernels/test_util.h"

namespace gs::kernels::test {
namespace {

// (weight type, threads, n, in, out, with bias)
using MatmulCase = std::tuple<DType, int, int, int, int, bool>;

class MatmulTest : public ::testing::TestWithParam<MatmulCase> {};

// The fast kernels and the reference widen bf16 exactly, so both weight types are
// held to the same f32-rounding tolerance.
void expect_fast_matches_reference(DType type, int n, int in, int out, bool with_bias,
                                   std::mt19937& rng) {
  const auto x = random_floats(std::size_t(n) * in, rng);  // (n, in)
  const TestWeights w = random_weights(type, out, in, rng);  // (out, in)
  const auto bias = random_floats(out, rng);                 // (out)
  const float* b = with_bias ? bias.data() : nullptr;
  std::vector<float> want(std::size_t(n) * out), got(want.size(), 123.0f);  // (n, out)
  std::vector<float> scratch(cpu::matmul_scratch_floats(w.matrix(), n));
  ref::matmul(x.data(), w.matrix(), b, want.data(), n);
  cpu::matmul(x.data(), w.matrix(), b, got.data(), n, scratch);
  expect_matmul_close(got, want, x, w.values, b, n, in, out);
}

TEST_P(MatmulTest, FastMatchesReference) {
  const auto [type, threads, n, in, out, with_bias] = GetParam();
  ScopedThreads scoped(threads);
  std::mt19937 rng(1000 * n + 10 * in + out);
  expect_fast_matches_reference(type, n, in, out, with_bias, rng);
}

// Odd sizes hit the GEMV's leftover rows; 1031 x 67 is large enough to thread.
INSTANTIATE_TEST_SUITE_P(Shapes, MatmulTest,
                         ::testing::Combine(::testing::Values(DType::f32, DType::bf16),
                                            ::testing::Values(1, 2), ::testing::Values(1, 3, 17),
                                            ::testing::Values(1, 8, 173, 1031),
                                            ::testing::Values(1, 5, 37, 67), ::testing::Bool()));

TEST(MatmulBf16, SeveralRowsCrossTileBoundaries) {
  // 4099 inputs make a widened tile of 63 rows: 130 rows are two whole tiles and a
  // partial one, so every tile's offset into y and w is exercised.
  std::mt19937 rng(7);
  const WeightMatrix shape = bf16_matrix(nullptr, 130, 4099);
  const int blas = cpu::small_batch_limit(DType::bf16) + 1;
  ASSERT_LT(cpu::matmul_scratch_floats(shape, blas), std::size_t(130) * 4099 * cpu::threads());
  ASSERT_EQ(cpu::matmul_scratch_floats(shape, blas - 1), 0u) << "the small-batch path needs no tile";
  expect_fast_matches_reference(DType::bf16, blas, 4099, 130, true, rng);
}

TEST(MatmulBf16, TooLittleScratchIsAnError) {
  std::mt19937 rng(8);
  const TestWeights w = random_weights(DType::bf16, 8, 16, rng);
  const int blas = cpu::small_batch_limit(DType::bf16) + 1;
  std::vector<float> x(blas * 16, 1.0f), y(blas * 8);
  EXPECT_THROW(cpu::matmul(x.data(), w.matrix(), nullptr, y.data(), blas), gs::Error);
}

TEST(MatmulReference, MatchesHandComputedProduct) {
  const float x[] = {1, 2, 3, -1, 0, 2};    // (2, 3)
  const float w[] = {1, 0, -1, 2, 1, 0.5};  // (2, 3)
  const float bias[] = {10, -10};
  float y[4];
  ref::matmul(x, f32_matrix(w, 2, 3), bias, y, 2);
  EXPECT_FLOAT_EQ(y[0], 1 - 3 + 10.0f);
  EXPECT_FLOAT_EQ(y[1], 2 + 2 + 1.5f - 10);
  EXPECT_FLOAT_EQ(y[2], -1 - 2 + 10.0f);
  EXPECT_FLOAT_EQ(y[3], -2 + 0 + 1 - 10.0f);
}

TEST(MatmulReference, WidensBf16Exactly) {
  // 0x3fc0 is 1.5, 0xc000 is -2, 0x3e80 is 0.25: every bf16 is an exact f32.
  const std::uint16_t w[] = {0x3fc0, 0xc000, 0x3e80};  // (1, 3)
  const float x[] = {2, 1, 4};
  float y;
  ref::matmul(x, bf16_matrix(w, 1, 3), nullptr, &y, 1);
  EXPECT_EQ(y, 3.0f - 2.0f + 1.0f);
}

}  // namespace
}  // namespace gs::kernels::test
