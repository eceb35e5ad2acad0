// matmul for a few tokens at once (a decode step of a continuous batch, a short
// prefill chunk): streams each weight row once per call for all tokens.
#pragma once

#include "kernels/weight_matrix.h"

namespace gs::kernels::cpu {

// The most tokens the small-batch kernel takes; more go to BLAS (matmul.cpp).
inline constexpr int kSmallBatchMax = 64;

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
