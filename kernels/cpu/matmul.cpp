// matmul for weights stored as f32 or bf16, always computing in f32.
//
// One row (decode) is memory bound: a threaded GEMV streams w once, widening bf16
// in registers, so a bf16 step reads half the bytes. Several rows (prefill, batched
// decode) are compute bound: OpenBLAS sgemm, on w itself when it is f32, or on
// tiles of w widened into the caller's scratch when it is bf16 (widening a tile
// costs one pass over it, against n passes of arithmetic in sgemm).
#include <cblas.h>

#include <algorithm>
#include <cstdint>

#include "kernels/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/parallel.h"

namespace gs::kernels::cpu {
namespace {

inline float widen(float w) { return w; }
inline float widen(std::uint16_t w) { return widen_bf16(w); }

// A bf16 tile of at most this many floats once widened (1 MiB: it stays in L2
// while sgemm packs it).
constexpr std::size_t kTileFloats = std::size_t(1) << 18;

int tile_rows(const WeightMatrix& w) {
  return std::clamp(static_cast<int>(kTileFloats / std::max(w.cols, 1)), 1, w.rows);
}

// y (out) = w (out, in) · x (in) + bias. Four rows per step share each load of x;
// the simd reductions vectorise without -ffast-math. Threads take contiguous row
// ranges, so each streams its own part of w from start to end.
template <typename W>
void gemv(const float* x, const W* w, const float* bias, float* y, int in, int out) {
  const int blocks = out / 4;
  const bool big = std::size_t(out) * in >= kParallelMinFloats;
#pragma omp parallel for schedule(static) if (big)
  for (int b = 0; b < blocks; ++b) {
    const W* w0 = w + std::size_t(4 * b) * in;
    const W* w1 = w0 + in;
    const W* w2 = w1 + in;
    const W* w3 = w2 + in;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int i = 0; i < in; ++i) {
      s0 += widen(w0[i]) * x[i];
      s1 += widen(w1[i]) * x[i];
      s2 += widen(w2[i]) * x[i];
      s3 += widen(w3[i]) * x[i];
    }
    y[4 * b] = s0;
    y[4 * b + 1] = s1;
    y[4 * b + 2] = s2;
    y[4 * b + 3] = s3;
  }
  for (int o = 4 * blocks; o < out; ++o) {
    const W* row = w + std::size_t(o) * in;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < in; ++i) sum += widen(row[i]) * x[i];
    y[o] = sum;
  }
  if (bias) {
    for (int o = 0; o < out; ++o) y[o] += bias[o];
  }
}

// y (n, out) += x (n, in) · w (out, in)ᵀ with w bf16, one widened tile of rows at a time.
void gemm_bf16(const float* x, const WeightMatrix& w, float* y, int n, std::span<float> scratch) {
  const int rows = tile_rows(w), in = w.cols;
  GS_CHECK(scratch.size() >= std::size_t(rows) * in,
           "matmul: scratch holds " << scratch.size() << " floats but a bf16 tile needs "
                                    << std::size_t(rows) * in << "; size it with matmul_scratch_floats");
  float* tile = scratch.data();
  for (int first = 0; first < w.rows; first += rows) {
    const int count = std::min(rows, w.rows - first);
    const std::size_t size = std::size_t(count) * in;
    const std::uint16_t* src = w.bf16() + std::size_t(first) * in;
#pragma omp parallel for simd schedule(static) if (size >= kParallelMinFloats)
    for (std::size_t i = 0; i < size; ++i) tile[i] = widen_bf16(src[i]);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, count, in, 1.0f, x, in, tile, in, 1.0f,
                y + first, w.rows);
  }
}

}  // namespace

std::size_t matmul_scratch_floats(const WeightMatrix& w, int n) {
  if (w.type == WeightType::f32 || n == 1) return 0;
  return std::size_t(tile_rows(w)) * w.cols;
}

void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y, int n,
            std::span<float> scratch) {
  const int in = w.cols, out = w.rows;
  if (n == 1) {
    if (w.type == WeightType::bf16) return gemv(x, w.bf16(), bias, y, in, out);
    return gemv(x, w.f32(), bias, y, in, out);
  }
  // Start y at the bias (or zero) and let sgemm add x · wᵀ to it (beta = 1).
  for (int t = 0; t < n; ++t) {
    float* row = y + std::size_t(t) * out;
    if (bias) {
      std::copy(bias, bias + out, row);
    } else {
      std::fill(row, row + out, 0.0f);
    }
  }
  if (w.type == WeightType::bf16) return gemm_bf16(x, w, y, n, scratch);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w.f32(), in, 1.0f,
              y, out);
}

}  // namespace gs::kernels::cpu
