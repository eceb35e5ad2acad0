// Helpers shared by the kernel tests: seeded random inputs, tolerance checks and a
// scope that runs the fast kernels with a given thread count.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <random>
#include <span>
#include <vector>

#include "kernels/cpu/fast.h"
#include "kernels/cpu/reference.h"

namespace gs::kernels::test {

// The fast kernels accumulate in float, the reference in double. Over the sizes
// tested (sums of up to ~1,000 terms of magnitude <= 1) the float rounding stays
// well under 1e-5 of the result, or 1e-5 absolute where the result is near zero.
inline constexpr double kFloatVsDouble = 1e-5;

// Uniform in [-1, 1): non-degenerate, so a wrong index or a missing term shows.
inline std::vector<float> random_floats(std::size_t n, std::mt19937& rng, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Every element within tol * scale[i] of expected.
inline void expect_close_to_scale(std::span<const float> actual, std::span<const double> expected,
                                  std::span<const double> scale, double tol) {
  ASSERT_EQ(actual.size(), expected.size());
  ASSERT_EQ(scale.size(), expected.size());
  int failures = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double bound = tol * scale[i];
    if (!(std::abs(actual[i] - expected[i]) <= bound) && failures++ < 5) {
      ADD_FAILURE() << "element " << i << ": got " << actual[i] << ", want " << expected[i]
                    << " (tolerance " << bound << ")";
    }
  }
  EXPECT_EQ(failures, 0) << "elements out of tolerance";
}

// Every element within tol * max(1, |expected|) of expected.
inline void expect_close(std::span<const float> actual, std::span<const double> expected,
                         double tol) {
  std::vector<double> scale(expected.size());
  for (std::size_t i = 0; i < scale.size(); ++i) scale[i] = std::max(1.0, std::abs(expected[i]));
  expect_close_to_scale(actual, expected, scale, tol);
}

inline void expect_close(std::span<const float> actual, std::span<const float> expected,
                         double tol) {
  const std::vector<double> wide(expected.begin(), expected.end());
  expect_close(actual, wide, tol);
}

// A float dot product rounds at the size of its partial sums, which |x|·|w| + |b|
// bounds, so matmul errors are measured against that rather than against the result
// (long random-sign sums cancel to results far smaller than their terms). 2e-6 is
// ~17 float epsilons: well above float rounding, far below one wrong or missing term.
inline constexpr double kDotTolerance = 2e-6;

// got and want (n, out) of x (n, in) · w (out, in)ᵀ + bias (out; may be null) agree
// within kDotTolerance of |x|·|w|ᵀ + |bias|.
inline void expect_matmul_close(std::span<const float> got, std::span<const float> want,
                                std::vector<float> x, std::vector<float> w, const float* bias,
                                int n, int in, int out) {
  for (float& a : x) a = std::abs(a);
  for (float& a : w) a = std::abs(a);
  std::vector<float> abs_bias(out, 0.0f);
  if (bias) std::transform(bias, bias + out, abs_bias.begin(), [](float b) { return std::abs(b); });
  std::vector<float> magnitude(want.size());  // (n, out)
  ref::matmul(x.data(), f32_matrix(w.data(), out, in), abs_bias.data(), magnitude.data(), n);
  const std::vector<double> want_wide(want.begin(), want.end());
  const std::vector<double> scale(magnitude.begin(), magnitude.end());
  expect_close_to_scale(got, want_wide, scale, kDotTolerance);
}

// Weights of any storage type: the stored elements and their exact f32 values.
struct TestWeights {
  DType type = DType::f32;
  int rows = 0, cols = 0;
  std::vector<float> values;         // (rows, cols) as f32: what the kernels compute with
  std::vector<std::uint16_t> bf16;   // (rows, cols) when type is bf16

  WeightMatrix matrix() const {
    return type == DType::bf16 ? bf16_matrix(bf16.data(), rows, cols)
                                    : f32_matrix(values.data(), rows, cols);
  }
};

// Random weights in [-1, 1); bf16 ones are random floats truncated to bf16 (any
// bf16 value is a valid weight, so no rounding is needed to make test data).
inline TestWeights random_weights(DType type, int rows, int cols, std::mt19937& rng) {
  TestWeights w{type, rows, cols, random_floats(std::size_t(rows) * cols, rng), {}};
  if (type == DType::bf16) {
    for (float& v : w.values) {
      w.bf16.push_back(static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(v) >> 16));
      v = bf16_to_f32(w.bf16.back());
    }
  }
  return w;
}

// Sets the fast kernels' thread count for one scope, restoring the previous one.
class ScopedThreads {
 public:
  explicit ScopedThreads(int n) : saved_(cpu::threads()) { cpu::set_threads(n); }
  ~ScopedThreads() { cpu::set_threads(saved_); }
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int saved_;
};

}  // namespace gs::kernels::test
