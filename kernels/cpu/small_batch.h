// matmul for a few tokens at once (a decode step of a continuous batch, a short
// prefill chunk): streams each weight row once per call for all tokens.
#pragma once

#include "kernels/weight_matrix.h"

namespace gs::kernels::cpu {

// The most tokens the small-batch kernel takes.
inline constexpr int kSmallBatchMax = 64;

// The most tokens matmul hands it. Past these, OpenBLAS's packed sgemm (one
// single-threaded call per pool chunk) did more FLOPs per core-second on a 2-core
// Zen 3 (AVX2): single-thread CPU time for 2048 -> 5632, f32 n = 2 / 4 / 8:
// 6.0 / 7.9-8.1 / 11.4 ms here vs 7.9 / 7.4-8.6 / 9.4 ms sgemm; bf16 n = 8 / 16 /
// 32: 10.1 / 11.6 / 25.3 ms vs 11.5 / 13.5 / 19.0 ms (sgemm on tiles widened
// first). A packed micro-kernel (broadcast inputs, no horizontal sums) could
// move these up; this one's rows are dot products over the stored layout.
inline constexpr int small_batch_limit(DType type) {
  return type == DType::bf16 ? 16 : 4;
}

// y (n, w.rows) = x (n, w.cols) · wᵀ + bias (may be null), 1 <= n <= kSmallBatchMax,
// w f32 or bf16, on the thread pool. Vectors as wide as the build's widest
// (16 floats with AVX-512, else 8).
void small_batch_matmul(const float* x, const WeightMatrix& w, const float* bias, float* y, int n);

// The same kernel with a chosen vector width (8 or 16 floats; a width the
// build's instruction set lacks is split by the compiler), so tests cover the
// path other machines take.
template <int kLanes>
void small_batch_matmul_lanes(const float* x, const WeightMatrix& w, const float* bias, float* y,
                              int n);

}  // namespace gs::kernels::cpu
