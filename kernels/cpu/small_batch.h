// matmul for a few tokens at once (a decode step of a continuous batch, a short
// prefill chunk): streams each weight row once per call for all tokens.
#pragma once

#include "kernels/weight_matrix.h"

namespace gs::kernels::cpu {

// The most tokens the small-batch kernel takes.
inline constexpr int kSmallBatchMax = 64;

// The most tokens matmul hands it; past these, OpenBLAS's sgemm (one
// single-threaded call per pool chunk, on bf16 tiles widened first) wins or ties.
// Decode steps of the TinyLlama shape, 2 threads on a 2-core Zen 3 (AVX2), context
// 16, small-batch kernel vs sgemm for every matmul, two alternating runs each
// (2026-12-01, this kernel): f32 n = 16 / 32: 500-721 / 948-979 ms vs 600-630 /
// 957-975 ms (a tie); bf16 n = 16 / 32 / 48 / 64: 381-420 / 709-794 / 1186-1221 /
// 1490-1517 ms vs 651-715 / 966-1033 / 1083-1151 / 1245-1537 ms.
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
