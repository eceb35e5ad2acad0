// matmul for weights stored as f32 or bf16, always computing in f32, on the
// kernels' thread pool. Three shapes:
//
// One row (decode): memory bound; a GEMV streams w once, widening bf16 in
// registers, so a bf16 step reads half the bytes. Written on v16 (vec16.h) to
// choose its own loop shape per type.
// 2..small_batch_limit rows (batched decode): still near the memory wall;
// small_batch.cpp streams w once for all rows.
// More rows (larger batches, prefill chunks): compute bound; OpenBLAS sgemm,
// single-threaded,
// one call per pool chunk of output rows, on w itself when it is f32 or on that
// chunk's rows widened into the thread's scratch when it is bf16 (widening costs
// one pass over the rows, against n passes of arithmetic in sgemm).
#include <cblas.h>

#include <algorithm>
#include <cstdint>

#include "common/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/small_batch.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/cpu/vec16.h"

namespace gs::kernels::cpu {
namespace {

inline float widen(float w) { return w; }
inline float widen(std::uint16_t w) { return bf16_to_f32(w); }

// Rows per sgemm call: a bf16 tile of at most this many floats once widened
// (1 MiB: it stays in L2 while sgemm packs it). f32 uses the same slices.
constexpr std::size_t kTileFloats = std::size_t(1) << 18;

int tile_rows(const WeightMatrix& w) {
  return std::clamp(static_cast<int>(kTileFloats / std::max(w.cols, 1)), 1, w.rows);
}

// Rows per pool chunk of the GEMV: a multiple of kRows, enough chunks to
// balance two threads (and route around a descheduled one), each chunk at least
// kParallelMinFloats weights so claiming it costs nothing in comparison.
int gemv_chunk_rows(int out, int in, int rows_step) {
  const int balanced = out / (8 * thread_pool().threads());
  const int worth = int(kParallelMinFloats / std::max(in, 1)) + 1;
  return std::max(std::max(balanced, worth) / rows_step * rows_step, rows_step);
}

// y (out) = w (out, in) · x (in) + bias, for kRows rows per step with 4 / kRows
// partial sums each (four FMA chains in flight). Chunks are contiguous row
// ranges, so each thread streams its own parts of w.
//
// f32 uses kRows = 4: four rows share each load of x. bf16 uses kRows = 1, one
// sequential stream per thread, plus a software prefetch 16 KiB ahead: widening
// costs instructions, so fewer loads are in flight than for f32, and without
// help four short (4 KiB) bf16 rows in parallel left ~20% of the bandwidth
// unused on 2 Zen 5 cores. The same prefetch made f32 slower (~10%), and one row
// at a time made it ~3% slower (all measured interleaved with a 1 GiB read loop).
template <typename W, int kRows>
void gemv_rows(const float* x, const W* w, float* y, int in, int b0, int b1) {
  constexpr int kSplit = 4 / kRows, kStep = 16 * kSplit;
  constexpr bool kPrefetch = sizeof(W) == 2;
  constexpr int kPrefetchBytes = 16 << 10;
  const int full = in / kStep * kStep;
  for (int b = b0; b < b1; ++b) {
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
}

template <typename W, int kRows>
void gemv(const float* x, const W* w, const float* bias, float* y, int in, int out) {
  const int blocks = out / kRows;
  const int per_chunk = gemv_chunk_rows(out, in, kRows) / kRows;
  parallel_for(blocks, per_chunk,
               [&](int b0, int b1, int) { gemv_rows<W, kRows>(x, w, y, in, b0, b1); });
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

// y (n, out) = x (n, in) · wᵀ + bias through sgemm, one pool chunk of tile_rows
// output rows per call. bf16 chunks are widened into the running thread's part
// of scratch first.
void gemm_blas(const float* x, const WeightMatrix& w, const float* bias, float* y, int n,
               std::span<float> scratch) {
  const int rows = tile_rows(w), in = w.cols, out = w.rows;
  const std::size_t tile = std::size_t(rows) * in;
  if (w.type == DType::bf16) {
    const std::size_t needed = tile * thread_pool().threads();
    GS_CHECK(scratch.size() >= needed,
             "matmul: scratch holds " << scratch.size() << " floats but bf16 tiles need " << needed
                                      << "; size it with matmul_scratch_floats");
  }
  parallel_for(out, rows, [&](int r0, int r1, int thread) {
    const int count = r1 - r0;
    // Start y at the bias (or zero) and let sgemm add x · wᵀ to it (beta = 1).
    for (int t = 0; t < n; ++t) {
      float* row = y + std::size_t(t) * out;
      if (bias) {
        std::copy(bias + r0, bias + r1, row + r0);
      } else {
        std::fill(row + r0, row + r1, 0.0f);
      }
    }
    const float* wf = w.f32() + std::size_t(r0) * in;
    if (w.type == DType::bf16) {
      float* widened = scratch.data() + tile * thread;
      const std::uint16_t* src = w.bf16() + std::size_t(r0) * in;
      const std::size_t size = std::size_t(count) * in;
#pragma omp simd
      for (std::size_t i = 0; i < size; ++i) widened[i] = bf16_to_f32(src[i]);
      wf = widened;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, count, in, 1.0f, x, in, wf, in, 1.0f,
                y + r0, out);
  });
}

}  // namespace

std::size_t matmul_scratch_floats(const WeightMatrix& w, int n) {
  if (w.type == DType::f32 || n <= small_batch_limit(w.type)) return 0;
  return std::size_t(tile_rows(w)) * w.cols * thread_pool().threads();
}

void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y, int n,
            std::span<float> scratch) {
  const int in = w.cols, out = w.rows;
  if (n == 1) {
    if (w.type == DType::bf16) return gemv<std::uint16_t, 1>(x, w.bf16(), bias, y, in, out);
    return gemv<float, 4>(x, w.f32(), bias, y, in, out);
  }
  if (n <= small_batch_limit(w.type)) return small_batch_matmul(x, w, bias, y, n);
  gemm_blas(x, w, bias, y, n, scratch);
}

}  // namespace gs::kernels::cpu
