// Launchers of the CUDA kernels the backend uses, each the device version of the
// op of the same name in kernels/cpu/reference.h (the differential tests compare
// them). All take device pointers and enqueue on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/attention_batch.h"

namespace gs::kernels::cuda {

void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps, cudaStream_t stream);
void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions, const float* cos_table,
          const float* sin_table, cudaStream_t stream);
void swiglu(const float* gate, const float* up, float* out, std::size_t n, cudaStream_t stream);
void add(float* y, const float* x, std::size_t n, cudaStream_t stream);
// out = act(gate) * up (up may be null); act is kernels::Activation as an int.
void activate(int act, const float* gate, const float* up, float* out, std::size_t n, cudaStream_t stream);
// y (rows, cols) += bias (cols) on every row.
void add_bias(float* y, const float* bias, int rows, int cols, cudaStream_t stream);
void f32_to_bf16(const float* x, std::uint16_t* y, std::size_t n, cudaStream_t stream);
// x (n, cols) = rows tokens of table (·, cols), f32 or bf16 (is_bf16), widened.
void embed(const void* table, bool is_bf16, int cols, const int* tokens, int n, float* x, cudaStream_t stream);
void gather_rows(const float* x, int cols, const int* rows, int n, float* out, cudaStream_t stream);
// out (rows) = index of the largest value of each row of x (rows, cols), the lowest on ties.
void argmax_rows(const float* x, int rows, int cols, int* out, cudaStream_t stream);

// The CUDA KV layout: k and v each (n_blocks, n_kv_heads, block_size, head_dim),
// a row per position, so a warp reads one position's key coalesced. Elements are
// f32, or bf16 (stored rounded to nearest even, widened exactly when read).
struct DeviceKv {
  void* k = nullptr;
  void* v = nullptr;
  bool bf16 = false;
  int n_kv_heads = 0, block_size = 0, head_dim = 0;
};
void store_kv(const DeviceKv& kv, int n_tokens, const float* k, const float* v, const BlockTables& tables,
              const int* positions, cudaStream_t stream);

// Split-context GQA attention (flash-decoding): one block per (token, KV head,
// chunk of positions) reads each cached K/V row of its chunk once for all query
// heads of the group; a second kernel merges the chunks exactly (log-sum-exp).
// partial: at least attention_partial_floats(...) floats of device scratch.
// capacity: the most positions a token attends to (the backend's cache_capacity).
std::size_t attention_partial_floats(int n_tokens, int n_q_heads, int head_dim, int capacity);
void gqa_attention(const AttentionBatch& batch, const DeviceKv& kv, int max_q_per_kv, int capacity,
                   float* partial, cudaStream_t stream);

}  // namespace gs::kernels::cuda
