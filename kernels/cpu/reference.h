// The reference CPU kernels: the plainest correct code for every op.
//
// Every other implementation (fast CPU, CUDA) is tested against these. They are
// single-threaded, allocate freely and favour clarity over speed. Matrices are
// row-major; a weight w of shape (out, in) maps x (in) to y (out) = w · x.
#pragma once

#include <cstddef>

#include "kernels/attention_batch.h"
#include "kernels/backend.h"
#include "kernels/cpu/kv_layout.h"
#include "kernels/weight_matrix.h"

namespace gs::kernels::ref {

// y (n, w.rows) = x (n, w.cols) · wᵀ + bias (w.rows; may be null), w widened
// element by element whatever its storage type.
void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y, int n);

// y (n, dim) = x / rms(x) * weight, row by row; y may alias x.
void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps);

// Rotary embedding in place on x (n_tokens, n_heads, head_dim), rotating interleaved
// pairs (x[2i], x[2i+1]) by the angle whose cos/sin are cos_table/sin_table
// (positions, head_dim/2) at row positions[t].
void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions,
          const float* cos_table, const float* sin_table);

// out (n) = silu(gate) * up; out may alias gate or up.
void swiglu(const float* gate, const float* up, float* out, std::size_t n);
// out = act(gate) * up (up may be null), in double; Hugging Face's definitions.
void activate(Activation act, const float* gate, const float* up, float* out, std::size_t n);

// out (rows) = index of the largest value of each row of x (rows, cols), the lowest
// index on ties (rows with NaN: unspecified, but an index of the row).
void argmax_rows(const float* x, int rows, int cols, int* out);

// In-place softmax of x (n), numerically stable.
void softmax(float* x, int n);

// y (n) += x (n).
void add(float* y, const float* x, std::size_t n);

// Causal attention of every query head over its KV head's cached history.
void gqa_attention(const AttentionBatch& batch, const KvCacheView& kv);

}  // namespace gs::kernels::ref
