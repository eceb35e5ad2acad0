#include "kernels/cuda/ops.h"

#include <cuda_bf16.h>

#include <cfloat>
#include <climits>
#include <cmath>

#include "kernels/cuda/cuda_check.h"

namespace gs::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarp = 32;

unsigned blocks_for(std::size_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

void check_launch() { GS_CUDA_CHECK(cudaGetLastError()); }

__device__ float warp_sum(float x) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) x += __shfl_xor_sync(0xffffffffu, x, offset);
  return x;
}

__device__ float warp_max(float x) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, offset));
  return x;
}

__device__ float widen(std::uint16_t bits) { return __uint_as_float(static_cast<unsigned>(bits) << 16); }

__global__ void rmsnorm_kernel(const float* x, const float* weight, float* y, int dim, float eps) {
  __shared__ float warp_sums[kThreads / kWarp];
  const float* row = x + static_cast<std::size_t>(blockIdx.x) * dim;
  float sum = 0.0f;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) sum += row[i] * row[i];
  sum = warp_sum(sum);
  if (threadIdx.x % kWarp == 0) warp_sums[threadIdx.x / kWarp] = sum;
  __syncthreads();
  if (threadIdx.x < kWarp) {
    sum = threadIdx.x < blockDim.x / kWarp ? warp_sums[threadIdx.x] : 0.0f;
    sum = warp_sum(sum);
    if (threadIdx.x == 0) warp_sums[0] = sum;
  }
  __syncthreads();
  const float inv = rsqrtf(warp_sums[0] / dim + eps);
  float* out = y + static_cast<std::size_t>(blockIdx.x) * dim;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) out[i] = row[i] * inv * weight[i];
}

// One thread per rotary pair; pairs are interleaved (2i, 2i+1), the engine's layout.
__global__ void rope_kernel(float* x, int n_tokens, int n_heads, int half, const int* positions,
                            const float* cos_table, const float* sin_table) {
  const std::size_t pair = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (pair >= static_cast<std::size_t>(n_tokens) * n_heads * half) return;
  const int i = static_cast<int>(pair % half);
  const int t = static_cast<int>(pair / half / n_heads);
  const std::size_t angle = static_cast<std::size_t>(positions[t]) * half + i;
  const float c = cos_table[angle], s = sin_table[angle];
  float* p = x + 2 * pair;
  const float a = p[0], b = p[1];
  p[0] = a * c - b * s;
  p[1] = a * s + b * c;
}

__global__ void swiglu_kernel(const float* gate, const float* up, float* out, std::size_t n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = gate[i];
  out[i] = g / (1.0f + expf(-g)) * up[i];
}

// act: 0 relu, 1 gelu (erf), 2 gelu_tanh (HF gelu_new), 3 silu — kernels::Activation's order.
__global__ void activate_kernel(int act, const float* gate, const float* up, float* out, std::size_t n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = gate[i];
  float a;
  if (act == 0) {
    a = fmaxf(g, 0.0f);
  } else if (act == 1) {
    a = 0.5f * g * (1.0f + erff(g * 0.70710678118654752f));
  } else if (act == 2) {
    a = 0.5f * g * (1.0f + tanhf(0.7978845608028654f * (g + 0.044715f * g * g * g)));
  } else {
    a = g / (1.0f + expf(-g));
  }
  out[i] = up ? a * up[i] : a;
}

__global__ void add_kernel(float* y, const float* x, std::size_t n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] += x[i];
}

__global__ void add_bias_kernel(float* y, const float* bias, int rows, int cols) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < static_cast<std::size_t>(rows) * cols) y[i] += bias[i % cols];
}

__global__ void f32_to_bf16_kernel(const float* x, std::uint16_t* y, std::size_t n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __bfloat16_as_ushort(__float2bfloat16_rn(x[i]));
}

__global__ void embed_kernel(const void* table, bool is_bf16, int cols, const int* tokens, float* x) {
  const std::size_t row = static_cast<std::size_t>(tokens[blockIdx.x]) * cols;
  float* out = x + static_cast<std::size_t>(blockIdx.x) * cols;
  for (int c = threadIdx.x; c < cols; c += blockDim.x)
    out[c] = is_bf16 ? widen(static_cast<const std::uint16_t*>(table)[row + c])
                     : static_cast<const float*>(table)[row + c];
}

__global__ void gather_rows_kernel(const float* x, int cols, const int* rows, float* out) {
  const float* src = x + static_cast<std::size_t>(rows[blockIdx.x]) * cols;
  float* dst = out + static_cast<std::size_t>(blockIdx.x) * cols;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) dst[c] = src[c];
}

// (best, index) becomes (value, i) when that is larger, or equal at a lower index:
// the order std::max_element picks by. NaN never wins.
__device__ void keep_larger(float& best, int& index, float value, int i) {
  if (value > best || (value == best && i < index)) {
    best = value;
    index = i;
  }
}

// A block per row: each thread scans a strided part, then warps and blocks merge.
__global__ void argmax_rows_kernel(const float* x, int cols, int* out) {
  __shared__ float warp_best[kThreads / kWarp];
  __shared__ int warp_index[kThreads / kWarp];
  const float* row = x + static_cast<std::size_t>(blockIdx.x) * cols;
  float best = -INFINITY;
  int index = INT_MAX;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) keep_larger(best, index, row[c], c);
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    const float other = __shfl_down_sync(0xffffffffu, best, offset);
    const int other_index = __shfl_down_sync(0xffffffffu, index, offset);
    keep_larger(best, index, other, other_index);
  }
  if (threadIdx.x % kWarp == 0) {
    warp_best[threadIdx.x / kWarp] = best;
    warp_index[threadIdx.x / kWarp] = index;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kThreads / kWarp; ++w) keep_larger(best, index, warp_best[w], warp_index[w]);
    out[blockIdx.x] = index == INT_MAX ? 0 : index;  // INT_MAX: a row of NaN only
  }
}

// Offset of position j of token t's sequence in KV head h's rows (DeviceKv layout).
__device__ std::size_t kv_row(const DeviceKv& kv, const BlockTables& tables, int t, int h, int j) {
  const int block = tables.blocks[static_cast<std::size_t>(tables.row[t]) * tables.width + j / kv.block_size];
  return ((static_cast<std::size_t>(block) * kv.n_kv_heads + h) * kv.block_size + j % kv.block_size) * kv.head_dim;
}

// KV cache elements: f32 as they are, bf16 rounded to nearest even on store and
// widened exactly on load.
__device__ float load_kv(const float* p) { return *p; }
__device__ float load_kv(const std::uint16_t* p) { return widen(*p); }
__device__ void store_kv_value(float* p, float x) { *p = x; }
__device__ void store_kv_value(std::uint16_t* p, float x) { *p = __bfloat16_as_ushort(__float2bfloat16_rn(x)); }

// grid (n_tokens, n_kv_heads), a thread per element of the head. T: the cache's element type.
template <typename T>
__global__ void store_kv_kernel(DeviceKv kv, const float* k, const float* v, BlockTables tables,
                                const int* positions) {
  const int t = blockIdx.x, h = blockIdx.y;
  const std::size_t src = (static_cast<std::size_t>(t) * kv.n_kv_heads + h) * kv.head_dim;
  const std::size_t dst = kv_row(kv, tables, t, h, positions[t]);
  T* k_cache = static_cast<T*>(kv.k);
  T* v_cache = static_cast<T*>(kv.v);
  for (int d = threadIdx.x; d < kv.head_dim; d += blockDim.x) {
    store_kv_value(k_cache + dst + d, k[src + d]);
    store_kv_value(v_cache + dst + d, v[src + d]);
  }
}

constexpr int kChunk = 128;         // positions per attention block
constexpr int kAttentionWarps = 4;  // 128 threads
constexpr int kMaxHeadDim = 256;    // a key row fits in 8 registers per lane

int chunks_for(int capacity) { return (capacity + kChunk - 1) / kChunk; }

// Partial results of chunk z for query head q of token t: (D) output scaled by
// exp(-m), then m and l (the chunk's max score and sum of exp(score - m)).
__device__ float* partial_out(float* partial, int t, int q, int z, int n_q, int chunks, int d) {
  return partial + ((static_cast<std::size_t>(t) * n_q + q) * chunks + z) * (d + 2);
}

// grid (n_tokens, n_kv_heads, chunks); dynamic shared memory: q (group, D), scores (group, kChunk).
// T: the cache's element type.
template <typename T>
__global__ void attention_chunk_kernel(AttentionBatch b, DeviceKv kv, float* partial, int chunks) {
  extern __shared__ float shared[];
  const T* k_cache = static_cast<const T*>(kv.k);
  const T* v_cache = static_cast<const T*>(kv.v);
  const int t = blockIdx.x, h = blockIdx.y, z = blockIdx.z, D = b.head_dim;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  int q0 = 0;
  while (q0 < b.n_q_heads && b.kv_of_q[q0] < h) ++q0;
  int group = 0;
  while (q0 + group < b.n_q_heads && b.kv_of_q[q0 + group] == h) ++group;
  if (group == 0) return;

  const int len = b.lengths[t], begin = z * kChunk, end = min(len, begin + kChunk);
  if (begin >= end) {  // nothing to attend to in this chunk: a neutral partial
    for (int g = threadIdx.x; g < group; g += blockDim.x) {
      float* p = partial_out(partial, t, q0 + g, z, b.n_q_heads, chunks, D);
      p[D] = -FLT_MAX;
      p[D + 1] = 0.0f;
    }
    return;
  }
  float* q_s = shared;                              // (group, D)
  float* s_s = shared + static_cast<std::size_t>(group) * D;  // (group, kChunk)
  const float* q = b.q + (static_cast<std::size_t>(t) * b.n_q_heads + q0) * D;
  for (int i = threadIdx.x; i < group * D; i += blockDim.x) q_s[i] = q[i] * b.scale;
  __syncthreads();

  // Scores: a warp per position reads the key once and scores every query head of the group.
  for (int j = begin + warp; j < end; j += kAttentionWarps) {
    const T* key = k_cache + kv_row(kv, b.tables, t, h, j);
    float k_reg[kMaxHeadDim / kWarp];
#pragma unroll
    for (int r = 0; r < kMaxHeadDim / kWarp; ++r) {
      const int d = lane + r * kWarp;
      k_reg[r] = d < D ? load_kv(key + d) : 0.0f;
    }
    for (int g = 0; g < group; ++g) {
      float dot = 0.0f;
#pragma unroll
      for (int r = 0; r < kMaxHeadDim / kWarp; ++r) {
        const int d = lane + r * kWarp;
        if (d < D) dot += q_s[g * D + d] * k_reg[r];
      }
      dot = warp_sum(dot);
      if (lane == 0) {
        // T5's relative-position bias, when given (AttentionBatch::position_bias).
        if (b.position_bias)
          dot += b.position_bias[static_cast<std::size_t>(q0 + g) * b.position_bias_stride +
                                 b.position_bias_offset + j - b.positions[t]];
        s_s[g * kChunk + (j - begin)] = dot;
      }
    }
  }
  __syncthreads();

  // Softmax within the chunk: a warp per query head.
  for (int g = warp; g < group; g += kAttentionWarps) {
    float m = -FLT_MAX;
    for (int j = lane; j < end - begin; j += kWarp) m = fmaxf(m, s_s[g * kChunk + j]);
    m = warp_max(m);
    float l = 0.0f;
    for (int j = lane; j < end - begin; j += kWarp) {
      const float p = expf(s_s[g * kChunk + j] - m);
      s_s[g * kChunk + j] = p;
      l += p;
    }
    l = warp_sum(l);
    if (lane == 0) {
      float* p = partial_out(partial, t, q0 + g, z, b.n_q_heads, chunks, D);
      p[D] = m;
      p[D + 1] = l;
    }
  }
  __syncthreads();

  // Weighted values: consecutive threads take consecutive elements of a value row.
  for (int i = threadIdx.x; i < group * D; i += blockDim.x) {
    const int g = i / D, d = i % D;
    float acc = 0.0f;
    for (int j = begin; j < end; ++j)
      acc += s_s[g * kChunk + (j - begin)] * load_kv(v_cache + kv_row(kv, b.tables, t, h, j) + d);
    partial_out(partial, t, q0 + g, z, b.n_q_heads, chunks, D)[d] = acc;
  }
}

// grid (n_tokens, n_q_heads), a thread per output element: the exact merge of the chunks.
__global__ void attention_merge_kernel(AttentionBatch b, const float* partial, int chunks) {
  const int t = blockIdx.x, q = blockIdx.y, D = b.head_dim;
  const int used = (b.lengths[t] + kChunk - 1) / kChunk;
  const float* first = partial + (static_cast<std::size_t>(t) * b.n_q_heads + q) * chunks * (D + 2);
  float m = -FLT_MAX;
  for (int z = 0; z < used; ++z) m = fmaxf(m, first[z * (D + 2) + D]);
  float l = 0.0f;
  for (int z = 0; z < used; ++z) l += first[z * (D + 2) + D + 1] * expf(first[z * (D + 2) + D] - m);
  for (int d = threadIdx.x; d < D; d += blockDim.x) {
    float acc = 0.0f;
    for (int z = 0; z < used; ++z) acc += first[z * (D + 2) + d] * expf(first[z * (D + 2) + D] - m);
    b.out[(static_cast<std::size_t>(t) * b.n_q_heads + q) * D + d] = acc / l;
  }
}

template <typename T>
void launch_attention_chunks(const AttentionBatch& batch, const DeviceKv& kv, float* partial, int chunks,
                             std::size_t shared, cudaStream_t stream) {
  if (shared > 48 * 1024)
    GS_CUDA_CHECK(cudaFuncSetAttribute(attention_chunk_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       static_cast<int>(shared)));
  attention_chunk_kernel<T><<<dim3(batch.n_tokens, kv.n_kv_heads, chunks), kAttentionWarps * kWarp, shared, stream>>>(
      batch, kv, partial, chunks);
  check_launch();
}

}  // namespace

void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps, cudaStream_t stream) {
  if (n == 0) return;
  rmsnorm_kernel<<<n, kThreads, 0, stream>>>(x, weight, y, dim, eps);
  check_launch();
}

void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions, const float* cos_table,
          const float* sin_table, cudaStream_t stream) {
  GS_CHECK(head_dim % 2 == 0, "rope: head_dim " << head_dim << " must be even");
  const std::size_t pairs = static_cast<std::size_t>(n_tokens) * n_heads * (head_dim / 2);
  if (pairs == 0) return;
  rope_kernel<<<blocks_for(pairs), kThreads, 0, stream>>>(x, n_tokens, n_heads, head_dim / 2, positions,
                                                            cos_table, sin_table);
  check_launch();
}

void swiglu(const float* gate, const float* up, float* out, std::size_t n, cudaStream_t stream) {
  if (n == 0) return;
  swiglu_kernel<<<blocks_for(n), kThreads, 0, stream>>>(gate, up, out, n);
  check_launch();
}

void activate(int act, const float* gate, const float* up, float* out, std::size_t n, cudaStream_t stream) {
  if (n == 0) return;
  activate_kernel<<<blocks_for(n), kThreads, 0, stream>>>(act, gate, up, out, n);
  check_launch();
}

void add(float* y, const float* x, std::size_t n, cudaStream_t stream) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n), kThreads, 0, stream>>>(y, x, n);
  check_launch();
}

void add_bias(float* y, const float* bias, int rows, int cols, cudaStream_t stream) {
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  if (n == 0) return;
  add_bias_kernel<<<blocks_for(n), kThreads, 0, stream>>>(y, bias, rows, cols);
  check_launch();
}

void f32_to_bf16(const float* x, std::uint16_t* y, std::size_t n, cudaStream_t stream) {
  if (n == 0) return;
  f32_to_bf16_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, y, n);
  check_launch();
}

void embed(const void* table, bool is_bf16, int cols, const int* tokens, int n, float* x, cudaStream_t stream) {
  if (n == 0) return;
  embed_kernel<<<n, kThreads, 0, stream>>>(table, is_bf16, cols, tokens, x);
  check_launch();
}

void gather_rows(const float* x, int cols, const int* rows, int n, float* out, cudaStream_t stream) {
  if (n == 0) return;
  gather_rows_kernel<<<n, kThreads, 0, stream>>>(x, cols, rows, out);
  check_launch();
}

void argmax_rows(const float* x, int rows, int cols, int* out, cudaStream_t stream) {
  if (rows == 0) return;
  GS_CHECK(cols >= 1, "argmax_rows: rows of " << cols << " values");
  argmax_rows_kernel<<<rows, kThreads, 0, stream>>>(x, cols, out);
  check_launch();
}

void store_kv(const DeviceKv& kv, int n_tokens, const float* k, const float* v, const BlockTables& tables,
              const int* positions, cudaStream_t stream) {
  if (n_tokens == 0 || kv.n_kv_heads == 0) return;
  if (kv.bf16) {
    store_kv_kernel<std::uint16_t><<<dim3(n_tokens, kv.n_kv_heads), kWarp * 4, 0, stream>>>(kv, k, v, tables, positions);
  } else {
    store_kv_kernel<float><<<dim3(n_tokens, kv.n_kv_heads), kWarp * 4, 0, stream>>>(kv, k, v, tables, positions);
  }
  check_launch();
}

std::size_t attention_partial_floats(int n_tokens, int n_q_heads, int head_dim, int capacity) {
  return static_cast<std::size_t>(n_tokens) * n_q_heads * chunks_for(capacity) * (head_dim + 2);
}

void gqa_attention(const AttentionBatch& batch, const DeviceKv& kv, int max_q_per_kv, int capacity,
                   float* partial, cudaStream_t stream) {
  GS_CHECK(batch.head_dim == kv.head_dim && batch.head_dim <= kMaxHeadDim,
           "CUDA attention: head_dim " << batch.head_dim << " (cache " << kv.head_dim << ", at most "
                                       << kMaxHeadDim << ")");
  if (batch.n_tokens == 0 || kv.n_kv_heads == 0) return;
  const int chunks = chunks_for(capacity);
  const std::size_t shared = static_cast<std::size_t>(max_q_per_kv) * (batch.head_dim + kChunk) * sizeof(float);
  if (kv.bf16) {
    launch_attention_chunks<std::uint16_t>(batch, kv, partial, chunks, shared, stream);
  } else {
    launch_attention_chunks<float>(batch, kv, partial, chunks, shared, stream);
  }
  attention_merge_kernel<<<dim3(batch.n_tokens, batch.n_q_heads), kWarp * 4, 0, stream>>>(batch, partial, chunks);
  check_launch();
}

}  // namespace gs::kernels::cuda
