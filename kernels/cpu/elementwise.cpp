// Row- and element-wise ops: memory bound, so they only thread when large.
#include <cmath>

#include "kernels/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/parallel.h"

namespace gs::kernels::cpu {

void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps) {
#pragma omp parallel for schedule(static) if (std::size_t(n) * dim >= kParallelMinFloats)
  for (int t = 0; t < n; ++t) {
    const float* row = x + std::size_t(t) * dim;
    float* dst = y + std::size_t(t) * dim;
    float squares = 0.0f;
#pragma omp simd reduction(+ : squares)
    for (int i = 0; i < dim; ++i) squares += row[i] * row[i];
    const float inv_rms = 1.0f / std::sqrt(squares / dim + eps);
    // Each element is read before it is written, so dst may alias row.
#pragma omp simd
    for (int i = 0; i < dim; ++i) dst[i] = row[i] * inv_rms * weight[i];
  }
}

void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions,
          const float* cos_table, const float* sin_table) {
  GS_CHECK(head_dim % 2 == 0, "rope: head_dim " << head_dim << " must be even");
  const int half = head_dim / 2;
  const int rows = n_tokens * n_heads;
#pragma omp parallel for schedule(static) if (std::size_t(rows) * head_dim >= kParallelMinFloats)
  for (int r = 0; r < rows; ++r) {
    const std::size_t position = positions[r / n_heads];
    const float* cos_row = cos_table + position * half;
    const float* sin_row = sin_table + position * half;
    float* head = x + std::size_t(r) * head_dim;
#pragma omp simd
    for (int i = 0; i < half; ++i) {
      const float a = head[2 * i], b = head[2 * i + 1];
      head[2 * i] = a * cos_row[i] - b * sin_row[i];
      head[2 * i + 1] = a * sin_row[i] + b * cos_row[i];
    }
  }
}

void swiglu(const float* gate, const float* up, float* out, std::size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinFloats)
  for (std::size_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void add(float* y, const float* x, std::size_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMinFloats)
  for (std::size_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace gs::kernels::cpu
