// matmul for a few tokens at once (a decode step of a continuous batch, a short
// prefill chunk): streams each weight row once per call for all tokens.
#pragma once

#include "kernels/weight_matrix.h"

namespace gs::kernels::cpu {

// The most tokens the small-batch kernel takes.
inline constexpr int kSmallBatchMax = 64;

// The most tokens matmul hands it; past these, OpenBLAS's sgemm (one
// single-threaded call per pool chunk, on bf16 tiles widened first) wins. Decode
// steps of the TinyLlama shape, 2 threads on a 2-core Zen 3 (AVX2), context 128,
// small-batch kernel vs sgemm for every matmul, one session: f32 n = 8 / 16 / 32:
// 374 / 545 / 891 ms vs 444 / 589 / 860 ms; bf16 n = 8 / 16 / 32: 253 / 484 / 944
// ms vs 457 / 606 / 1069 ms.
inline constexpr int small_batch_limit(DType type) {
  return type == DType::bf16 ? 32 : 16;
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
