// matmul for weights stored as f32 or bf16, always computing in f32.
//
// One row (decode) is memory bound: a threaded GEMV streams w once, widening bf16
// in registers, so a bf16 step reads half the bytes. It is written on v16
// (vec16.h) to choose its own loop shape per type. Several rows (prefill, batched
// decode) are compute bound: OpenBLAS sgemm, on w itself when it is f32, or on
// tiles of w widened into the caller's scratch when it is bf16 (widening a tile
// costs one pass over it, against n passes of arithmetic in sgemm).
#include <cblas.h>

#include <algorithm>
#include <cstdint>

#include "kernels/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/vec16.h"

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

// y (out) = w (out, in) · x (in) + bias, for kRows rows per step with 4 / kRows
// partial sums each (four FMA chains in flight). Threads take contiguous row
// ranges, so each streams its own part of w.
//
// f32 uses kRows = 4: four rows share each load of x. bf16 uses kRows = 1, one
// sequential stream per thread, plus a software prefetch 16 KiB ahead: widening
// costs instructions, so fewer loads are in flight than for f32, and without
// help four short (4 KiB) bf16 rows in parallel left ~20% of the bandwidth
// unused on 2 Zen 5 cores. The same prefetch made f32 slower (~10%), and one row
// at a time made it ~3% slower (all measured interleaved with a 1 GiB read loop).
template <typename W, int kRows>
void gemv(const float* x, const W* w, const float* bias, float* y, int in, int out) {
  constexpr int kSplit = 4 / kRows, kStep = 16 * kSplit;
  constexpr bool kPrefetch = sizeof(W) == 2;
  constexpr int kPrefetchBytes = 16 << 10;
  const int blocks = out / kRows, full = in / kStep * kStep;
  const bool big = std::size_t(out) * in >= kParallelMinFloats;
#pragma omp parallel for schedule(static) if (big)
  for (int b = 0; b < blocks; ++b) {
    const W* w0 = w + std::size_t(kRows) * b * in;
    v16 acc[kRows][kSplit] = {};
    for (int i = 0; i < full; i += kStep) {
      if constexpr (kPrefetch) {
        // The lines 16 KiB further down this thread's stream, into L2, at the rate
        // this loop consumes them.
        const char* ahead = reinterpret_cast<const char*>(w0 + i) + kPrefetchBytes;
        for (int l = 0; l < int(kStep * sizeof(W)); l += 64) __builtin_prefetch(ahead + l, 0, 1);
      }
#pragma GCC unroll 4
      for (int s = 0; s < kSplit; ++s) {
        const v16 xv = load16(x + i + 16 * s);
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) acc[r][s] += load16(w0 + std::size_t(r) * in + i + 16 * s) * xv;
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      v16 lanes = acc[r][0];
      for (int s = 1; s < kSplit; ++s) lanes += acc[r][s];
      float sum = sum_lanes(lanes);
      const W* row = w0 + std::size_t(r) * in;
      for (int i = full; i < in; ++i) sum += widen(row[i]) * x[i];
      y[kRows * b + r] = sum;
    }
  }
  for (int o = kRows * blocks; o < out; ++o) {
    const W* row = w + std::size_t(o) * in;
    float sum = 0.0f;
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
    // Widened by this thread alone: an OpenMP team here would still be spinning,
    // waiting for work, while OpenBLAS's own threads run the sgemm on the same
    // cores (prefill measured 3.6x slower than f32 that way; 0.9x without).
#pragma omp simd
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
    if (w.type == WeightType::bf16) return gemv<std::uint16_t, 1>(x, w.bf16(), bias, y, in, out);
    return gemv<float, 4>(x, w.f32(), bias, y, in, out);
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
