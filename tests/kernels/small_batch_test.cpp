// The batched matmul paths against the reference and against one token at a time:
// every batch size 1..64 (the small-batch GEMM, odd sizes hit its token tails),
// sizes past 64 (the BLAS slices), both vector widths, f32 and bf16 weights.
#include <tuple>

#include "common/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/reference.h"
#include "kernels/cpu/small_batch.h"
#include "tests/kernels/test_util.h"

namespace gs::kernels::test {
namespace {

using Kernel = void (*)(const float*, const WeightMatrix&, const float*, float*, int);

// Rows of batched results within kDotTolerance (of |x|·|w|) of each token's own
// GEMV: batching may reorder a sum, never change what is summed.
void expect_rows_match_single_tokens(std::span<const float> batched, const float* x,
                                     const TestWeights& w, const float* bias, int n) {
  const int in = w.cols, out = w.rows;
  std::vector<float> alone(std::size_t(n) * out);
  for (int t = 0; t < n; ++t)
    cpu::matmul(x + std::size_t(t) * in, w.matrix(), bias, alone.data() + std::size_t(t) * out, 1);
  const std::vector<float> xs(x, x + std::size_t(n) * in);
  expect_matmul_close(batched, alone, xs, w.values, bias, n, in, out);
}

void check(Kernel kernel, DType type, int n, int in, int out, bool with_bias) {
  std::mt19937 rng(1000 * n + 10 * in + out);
  const auto x = random_floats(std::size_t(n) * in, rng);
  const TestWeights w = random_weights(type, out, in, rng);
  const auto bias = random_floats(out, rng);
  const float* b = with_bias ? bias.data() : nullptr;
  std::vector<float> want(std::size_t(n) * out), got(want.size(), 123.0f);
  ref::matmul(x.data(), w.matrix(), b, want.data(), n);
  kernel(x.data(), w.matrix(), b, got.data(), n);
  SCOPED_TRACE(::testing::Message() << dtype_name(type) << " n " << n << " in " << in
                                    << " out " << out);
  expect_matmul_close(got, want, x, w.values, b, n, in, out);
  expect_rows_match_single_tokens(got, x.data(), w, b, n);
}

// (weight type, threads, vector width (0: cpu::matmul's choice))
using BatchCase = std::tuple<DType, int, int>;

class SmallBatch : public ::testing::TestWithParam<BatchCase> {
 protected:
  Kernel kernel() const {
    switch (std::get<2>(GetParam())) {
      case 8: return cpu::small_batch_matmul_lanes<8>;
      case 16: return cpu::small_batch_matmul_lanes<16>;
      default: return [](const float* x, const WeightMatrix& w, const float* b, float* y, int n) {
        std::vector<float> scratch(cpu::matmul_scratch_floats(w, n));
        cpu::matmul(x, w, b, y, n, scratch);
      };
    }
  }
};

TEST_P(SmallBatch, EveryBatchSizeMatchesReferenceAndSingleTokens) {
  const auto [type, threads, lanes] = GetParam();
  ScopedThreads scoped(threads);
  // 67 inputs leave a column tail under any width; 37 rows a row-tile tail; 300
  // rows make several pool chunks.
  for (int n = 1; n <= cpu::kSmallBatchMax; ++n) check(kernel(), type, n, 67, 37, n % 2 == 1);
  for (int n : {2, 7, 13}) check(kernel(), type, n, 16, 300, true);
}

TEST_P(SmallBatch, WideInputsAreCutIntoColumnBlocks) {
  const auto [type, threads, lanes] = GetParam();
  ScopedThreads scoped(threads);
  // At 64 tokens a column block is 1024 floats: 2050 inputs make two and a tail.
  for (int n : {5, 33, 64}) check(kernel(), type, n, 2050, 21, true);
}

INSTANTIATE_TEST_SUITE_P(Paths, SmallBatch,
                         ::testing::Combine(::testing::Values(DType::f32, DType::bf16),
                                            ::testing::Values(1, 2), ::testing::Values(0, 8, 16)));

TEST(LargeBatch, BlasSlicesMatchReferenceAndSingleTokens) {
  for (int threads : {1, 2}) {
    ScopedThreads scoped(threads);
    for (DType type : {DType::f32, DType::bf16}) {
      // 4099 inputs make bf16 slices of 63 rows: 130 rows are two whole ones and part of a third.
      for (int n : {65, 100}) {
        check([](const float* x, const WeightMatrix& w, const float* b, float* y, int n) {
                std::vector<float> scratch(cpu::matmul_scratch_floats(w, n));
                cpu::matmul(x, w, b, y, n, scratch);
              },
              type, n, 4099, 130, n == 65);
      }
    }
  }
}

TEST(SmallBatch, OutOfRangeBatchIsAnError) {
  std::mt19937 rng(3);
  const TestWeights w = random_weights(DType::f32, 4, 8, rng);
  std::vector<float> x(65 * 8), y(65 * 4);
  EXPECT_THROW(cpu::small_batch_matmul(x.data(), w.matrix(), nullptr, y.data(), 65), gs::Error);
  EXPECT_THROW(cpu::small_batch_matmul(x.data(), w.matrix(), nullptr, y.data(), 0), gs::Error);
}

}  // namespace
}  // namespace gs::kernels::test
