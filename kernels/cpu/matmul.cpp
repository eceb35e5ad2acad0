// matmul: a threaded GEMV for one row (decode is memory bound: stream w once,
// split its rows over threads) and OpenBLAS sgemm for several rows.
#include <cblas.h>

#include <algorithm>

#include "kernels/cpu/fast.h"
#include "kernels/cpu/parallel.h"

namespace gs::kernels::cpu {
namespace {

// y (out) = w (out, in) · x (in) + bias. Four rows per step share each load of x;
// the simd reductions vectorise without -ffast-math.
void gemv(const float* x, const float* w, const float* bias, float* y, int in, int out) {
  const int blocks = out / 4;
  const bool big = std::size_t(out) * in >= kParallelMinFloats;
#pragma omp parallel for schedule(static) if (big)
  for (int b = 0; b < blocks; ++b) {
    const float* w0 = w + std::size_t(4 * b) * in;
    const float* w1 = w0 + in;
    const float* w2 = w1 + in;
    const float* w3 = w2 + in;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int i = 0; i < in; ++i) {
      s0 += w0[i] * x[i];
      s1 += w1[i] * x[i];
      s2 += w2[i] * x[i];
      s3 += w3[i] * x[i];
    }
    y[4 * b] = s0;
    y[4 * b + 1] = s1;
    y[4 * b + 2] = s2;
    y[4 * b + 3] = s3;
  }
  for (int o = 4 * blocks; o < out; ++o) {
    const float* row = w + std::size_t(o) * in;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < in; ++i) sum += row[i] * x[i];
    y[o] = sum;
  }
  if (bias) {
    for (int o = 0; o < out; ++o) y[o] += bias[o];
  }
}

}  // namespace

void matmul(const float* x, const float* w, const float* bias, float* y, int n, int in, int out) {
  if (n == 1) return gemv(x, w, bias, y, in, out);
  // Start y at the bias (or zero) and let sgemm add x · wᵀ to it (beta = 1).
  for (int t = 0; t < n; ++t) {
    float* row = y + std::size_t(t) * out;
    if (bias) {
      std::copy(bias, bias + out, row);
    } else {
      std::fill(row, row + out, 0.0f);
    }
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, 1.0f, y,
              out);
}

}  // namespace gs::kernels::cpu
