// Row- and element-wise ops: memory bound, so they only thread when large.
#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/thread_pool.h"

namespace gs::kernels::cpu {
namespace {

// body(begin, end) over [0, count) items of `floats_per_item` floats each: on
// the pool in a few chunks per thread when there is enough to share, else inline.
template <typename Body>
void for_items(std::size_t count, std::size_t floats_per_item, Body body) {
  if (count * floats_per_item < kParallelMinFloats) return body(std::size_t(0), count);
  const int threads = thread_pool().threads();
  const std::size_t grain = std::max<std::size_t>(1, count / (4 * threads) + 1);
  parallel_for(int((count + grain - 1) / grain), 1, [&](int first, int last, int) {
    body(first * grain, std::min(count, last * grain));
  });
}

}  // namespace

void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps) {
  for_items(n, dim, [&](std::size_t first, std::size_t last) {
    for (std::size_t t = first; t < last; ++t) {
      const float* row = x + t * dim;
      float* dst = y + t * dim;
      float squares = 0.0f;
#pragma omp simd reduction(+ : squares)
      for (int i = 0; i < dim; ++i) squares += row[i] * row[i];
      const float inv_rms = 1.0f / std::sqrt(squares / dim + eps);
      // Each element is read before it is written, so dst may alias row.
#pragma omp simd
      for (int i = 0; i < dim; ++i) dst[i] = row[i] * inv_rms * weight[i];
    }
  });
}

void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions,
          const float* cos_table, const float* sin_table) {
  GS_CHECK(head_dim % 2 == 0, "rope: head_dim " << head_dim << " must be even");
  const int half = head_dim / 2;
  for_items(std::size_t(n_tokens) * n_heads, head_dim, [&](std::size_t first, std::size_t last) {
    for (std::size_t r = first; r < last; ++r) {
      const std::size_t position = positions[r / n_heads];
      const float* cos_row = cos_table + position * half;
      const float* sin_row = sin_table + position * half;
      float* head = x + r * head_dim;
#pragma omp simd
      for (int i = 0; i < half; ++i) {
        const float a = head[2 * i], b = head[2 * i + 1];
        head[2 * i] = a * cos_row[i] - b * sin_row[i];
        head[2 * i + 1] = a * sin_row[i] + b * cos_row[i];
      }
    }
  });
}

void swiglu(const float* gate, const float* up, float* out, std::size_t n) {
  for_items(n, 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
  });
}

void add(float* y, const float* x, std::size_t n) {
  for_items(n, 1, [&](std::size_t first, std::size_t last) {
#pragma omp simd
    for (std::size_t i = first; i < last; ++i) y[i] += x[i];
  });
}

}  // namespace gs::kernels::cpu
