// The fast CPU kernels the engine runs: same contracts as kernels/cpu/reference.h.
//
// matmul uses a GEMV for one row (decode), a small-batch GEMM for up to 64 rows
// (batched decode, short chunks) and OpenBLAS sgemm for more (prefill); weights
// may be f32 or bf16, arithmetic is f32. Every kernel runs on one ThreadPool
// (thread_pool.h); set_threads() fixes its size for the process (one process is
// one rank). Nothing here allocates per call: matmul and attention take their
// scratch from the caller.
#pragma once

#include <cstddef>
#include <span>

#include "kernels/attention_batch.h"
#include "kernels/cpu/kv_layout.h"
#include "kernels/weight_matrix.h"

namespace gs::kernels::cpu {

void set_threads(int threads);
int threads();

// Floats of scratch matmul needs for n rows times w, with the current thread
// count: none for f32 weights or up to 64 rows; a tile of bf16 rows widened for
// sgemm per thread otherwise.
std::size_t matmul_scratch_floats(const WeightMatrix& w, int n);
// y (n, w.rows) = x (n, w.cols) · wᵀ + bias (w.rows; may be null).
void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y, int n,
            std::span<float> scratch = {});
void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps);
void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions,
          const float* cos_table, const float* sin_table);
void swiglu(const float* gate, const float* up, float* out, std::size_t n);
void add(float* y, const float* x, std::size_t n);

// Floats of scratch gqa_attention needs for at most max_q_per_kv query heads per
// KV head and block tables of at most `capacity` positions, with the current thread
// count: per thread, a score per position and a softmax sum for each query head.
std::size_t gqa_attention_scratch_floats(int max_q_per_kv, int capacity);

// GQA attention that streams each cached K/V head once for all query heads of its
// group (the point of GQA: bandwidth scales with KV heads, not query heads).
void gqa_attention(const AttentionBatch& batch, const KvCacheView& kv, std::span<float> scratch);

}  // namespace gs::kernels::cpu
