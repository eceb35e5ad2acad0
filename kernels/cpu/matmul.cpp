// matmul for weights stored as f32 or bf16, always computing in f32, on the
// kernels' thread pool. Two shapes:
//
// 1..small_batch_limit rows (decode, batched decode): memory bound;
// small_batch.cpp streams w once for all rows, widening bf16 in registers, so a
// bf16 step reads half the bytes. (It also beat the row-at-a-time GEMV this file
// had for one row: TinyLlama-shape decode, 2 threads, Zen 3, f32 204-231 ms vs
// 281-327 ms, bf16 121-130 ms vs 199-202 ms, back to back.)
// More rows (larger batches, prefill chunks): compute bound; OpenBLAS sgemm,
// single-threaded, one call per pool chunk of output rows, on w itself when it is f32 or on that
// chunk's rows widened into the thread's scratch when it is bf16 (widening costs
// one pass over the rows, against n passes of arithmetic in sgemm).
#include <cblas.h>

#include <algorithm>
#include <cstdint>

#include "common/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/small_batch.h"
#include "kernels/cpu/thread_pool.h"

namespace gs::kernels::cpu {
namespace {

// Rows per sgemm call: a bf16 tile of at most this many floats once widened
// (1 MiB: it stays in L2 while sgemm packs it). f32 uses the same slices.
constexpr std::size_t kTileFloats = std::size_t(1) << 18;

// Past this many floats of x (512 KiB, a Zen 3 L2), sgemm's repacking of x on
// every call costs more than L2-sized weight tiles save: TinyLlama's MLP up at a
// 512-token chunk spent 9 % of its samples in sgemm_oncopy with 44 calls per
// matrix. Then each thread takes about 4 calls, with bf16 widened tiles of at
// most kMaxWidenedFloats (16 MiB).
constexpr std::size_t kInputPastL2Floats = std::size_t(1) << 17;
constexpr std::size_t kMaxWidenedFloats = std::size_t(1) << 22;

int tile_rows(const WeightMatrix& w, int n) {
  const std::size_t in = std::max(w.cols, 1);
  std::size_t rows = kTileFloats / in;
  if (std::size_t(n) * in > kInputPastL2Floats) {
    const std::size_t calls = 4 * std::size_t(thread_pool().threads());
    rows = std::max(rows, (std::size_t(w.rows) + calls - 1) / calls);
    if (w.type == DType::bf16) rows = std::min(rows, kMaxWidenedFloats / in);
  }
  return static_cast<int>(std::clamp<std::size_t>(rows, 1, std::max(w.rows, 1)));
}

// y (n, out) = x (n, in) · wᵀ + bias through sgemm, one pool chunk of tile_rows
// output rows per call. bf16 chunks are widened into the running thread's part
// of scratch first.
void gemm_blas(const float* x, const WeightMatrix& w, const float* bias, float* y, int n,
               std::span<float> scratch) {
  const int rows = tile_rows(w, n), in = w.cols, out = w.rows;
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
  return std::size_t(tile_rows(w, n)) * w.cols * thread_pool().threads();
}

void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y, int n,
            std::span<float> scratch) {
  if (n <= small_batch_limit(w.type)) return small_batch_matmul(x, w, bias, y, n);
  gemm_blas(x, w, bias, y, n, scratch);
}

}  // namespace gs::kernels::cpu
