#include <tuple>

#include "kernels/cpu/fast.h"
#include "kernels/cpu/reference.h"
#include "tests/kernels/test_util.h"

namespace gs::kernels::test {
namespace {

// (threads, n, in, out, with bias)
using MatmulCase = std::tuple<int, int, int, int, bool>;

class MatmulTest : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(MatmulTest, FastMatchesReference) {
  const auto [threads, n, in, out, with_bias] = GetParam();
  ScopedThreads scoped(threads);
  std::mt19937 rng(1000 * n + 10 * in + out);
  const auto x = random_floats(std::size_t(n) * in, rng);    // (n, in)
  const auto w = random_floats(std::size_t(out) * in, rng);  // (out, in)
  const auto bias = random_floats(out, rng);                 // (out)
  const float* b = with_bias ? bias.data() : nullptr;
  std::vector<float> want(std::size_t(n) * out), got(want.size(), 123.0f);  // (n, out)
  ref::matmul(x.data(), w.data(), b, want.data(), n, in, out);
  cpu::matmul(x.data(), w.data(), b, got.data(), n, in, out);
  expect_matmul_close(got, want, x, w, b, n, in, out);
}

// Odd sizes hit the GEMV's leftover rows; 1031 x 67 is large enough to thread.
INSTANTIATE_TEST_SUITE_P(Shapes, MatmulTest,
                         ::testing::Combine(::testing::Values(1, 2), ::testing::Values(1, 3, 17),
                                            ::testing::Values(1, 8, 173, 1031),
                                            ::testing::Values(1, 5, 37, 67), ::testing::Bool()));

TEST(MatmulReference, MatchesHandComputedProduct) {
  const float x[] = {1, 2, 3, -1, 0, 2};    // (2, 3)
  const float w[] = {1, 0, -1, 2, 1, 0.5};  // (2, 3)
  const float bias[] = {10, -10};
  float y[4];
  ref::matmul(x, w, bias, y, 2, 3, 2);
  EXPECT_FLOAT_EQ(y[0], 1 - 3 + 10.0f);
  EXPECT_FLOAT_EQ(y[1], 2 + 2 + 1.5f - 10);
  EXPECT_FLOAT_EQ(y[2], -1 - 2 + 10.0f);
  EXPECT_FLOAT_EQ(y[3], -2 + 0 + 1 - 10.0f);
}

}  // namespace
}  // namespace gs::kernels::test
