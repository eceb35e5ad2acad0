// The small-batch GEMM: y (n, out) = x (n, in) · w (out, in)ᵀ for up to 64 tokens.
//
// A decode step of n sequences is memory bound like a single token as long as
// every weight is read from DRAM once for all n tokens; sgemm instead packs (and,
// for bf16, we first widened) the weights, and its threads fought the kernels'.
// So: a register tile of kRows weight rows by kTokens tokens of vector
// accumulators; each weight vector is loaded (and widened from bf16 in
// registers) once and multiplied into kTokens tokens. A group of kRows rows is
// read whole by the first token tile and stays in L1/L2 for the other token
// tiles, while all of them together prefetch a group ahead into L2, and every
// token's x stays in L2 (rows are cut into column blocks only when x would not
// fit): each weight comes from DRAM once per call, in long runs, and DRAM
// streams while the later tiles compute. Threads take chunks of output rows
// from the pool, so each streams its own part of w.
#include "kernels/cpu/small_batch.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "common/check.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/cpu/vec16.h"

namespace gs::kernels::cpu {
namespace {

// Vectors of L floats, and of L bf16 / u32 for widening. (GCC ignores
// vector_size on a size that depends on a template parameter, so one
// specialisation per width.)
template <int L>
struct Lanes;
template <>
struct Lanes<8> {
  using F = float __attribute__((vector_size(32)));
  using U16 = std::uint16_t __attribute__((vector_size(16)));
  using U32 = std::uint32_t __attribute__((vector_size(32)));
};
template <>
struct Lanes<16> {
  using F = float __attribute__((vector_size(64)));
  using U16 = std::uint16_t __attribute__((vector_size(32)));
  using U32 = std::uint32_t __attribute__((vector_size(64)));
};
template <int L>
using Vec = typename Lanes<L>::F;

template <int L>
inline Vec<L> load(const float* p) {
  Vec<L> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// L bf16 widened to f32 (bf16 is the top half of an f32). With AVX2, GCC 12
// lowers the generic conversion of 8 lanes to two 128-bit halves joined again
// (6 instructions instead of 2), and AVX-512 16 lanes to two such halves, so the
// native widths use the intrinsic.
template <int L>
inline Vec<L> load(const std::uint16_t* p) {
#if defined(__AVX512F__)
  if constexpr (L == 16) {
    // (The maskz form: the unmasked one trips -Wmaybe-uninitialized in GCC 12's header.)
    const __m512i bits =
        _mm512_maskz_cvtepu16_epi32(0xFFFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return reinterpret_cast<Vec<L>>(reinterpret_cast<typename Lanes<L>::U32>(bits) << 16);
  }
#endif
#if defined(__AVX2__)
  if constexpr (L == 8) {
    const __m256i bits = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return reinterpret_cast<Vec<L>>(_mm256_slli_epi32(bits, 16));
  }
#endif
  typename Lanes<L>::U16 bits;
  std::memcpy(&bits, p, sizeof bits);
  return reinterpret_cast<Vec<L>>(__builtin_convertvector(bits, typename Lanes<L>::U32) << 16);
}

// Makes the compiler hold v in a register. Without it GCC folds a vector's load
// into each FMA that uses it, loading it again for each: an input vector kRows
// times, and (f32) a weight vector kTokens times, 16 loads per 12 FMAs in the
// AVX2 tile instead of 7, which left the FMA units half idle.
// ("v" is any of AVX-512's 32 vector registers; "x" only the first 16.)
template <int L>
inline void keep_in_register(Vec<L>& v) {
#if defined(__AVX512F__)
  if constexpr (L == kNativeFloats) asm("" : "+v"(v));
#elif defined(__AVX__)
  if constexpr (L == kNativeFloats) asm("" : "+x"(v));
#endif
}

inline float widen(float w) { return w; }
inline float widen(std::uint16_t w) { return bf16_to_f32(w); }

template <int L>
inline float sum_lanes(Vec<L> v) {
  float sum = 0.0f;
  for (int i = 0; i < L; ++i) sum += v[i];
  return sum;
}

// Register tile shape: kRows * kTokens accumulators plus kRows weight vectors and
// one input vector must fit the register file (16 ymm with AVX2: 3 x 4; 32 zmm
// with AVX-512: 4 x 6), with enough FMAs per load to keep the FMA units busy.
// (AVX2 3 x 4 beat 2 x 6, 4 x 3 and 1 x 8 at n = 4 and 8 on a Zen 3.)
template <int L>
struct Tile {
  static constexpr int kRows = L == 16 ? 4 : 3;
  static constexpr int kTokens = L == 16 ? 6 : 4;
};

// Floats of x one column block may keep in L2 for all tokens (256 KiB of a
// 512 KiB-2 MiB L2).
constexpr int kL2InputFloats = 64 << 10;

struct Args {
  const float* x;  // (n, in)
  const void* w;   // (out, in)
  float* y;        // (n, out)
  int n, in, out;
};

// How far ahead of the row group being multiplied the prefetched one starts.
// 64 KiB beat 4, 16 and 32 KiB at n = 2..8 (bf16 and f32, TinyLlama's MLP up,
// Zen 3) and 128-256 KiB at n = 4 and 8; it keeps ~1000 lines in flight on the
// way to L2.
constexpr int kPrefetchBytes = 64 << 10;

// The weights a tile prefetches while it runs: `lines` cache lines of each of
// the tile's R rows from `next` (rows `stride` bytes apart), spread evenly over its
// k steps. A row group's token tiles share the prefetch of a row group ahead,
// so DRAM keeps streaming while the second and later tiles compute on rows
// already in cache (with only the first tile prefetching, batch 8 cost twice
// batch 4: DRAM idled through the second tile). Prefetches past the end of w
// are harmless: a prefetch never faults.
struct Prefetch {
  const char* next = nullptr;
  std::size_t stride = 0;
  int lines = 0;
};

// y[t][r] += w[r][k0, k1) · x[t][k0, k1) for R rows from row r0 and T tokens from
// token t0; k1 - k0 is a multiple of L except at the end of a row (tail < L).
// Not inlined: inlined into rows(), GCC 12 kept the bf16 tile's accumulators
// on the stack (23 stack accesses per 12 FMAs).
template <typename W, int L, int R, int T>
__attribute__((noinline)) void tile(const Args& a, int r0, int t0, int k0, int k1, Prefetch prefetch) {
  const W* w = static_cast<const W*>(a.w) + std::size_t(r0) * a.in;
  const float* x = a.x + std::size_t(t0) * a.in;
  const int full = k0 + (k1 - k0) / L * L;
  // Bresenham over the steps: `due` counts lines owed, in units of 1 / steps.
  const int steps = std::max((full - k0) / L, 1);
  int due = 0;
  Vec<L> acc[R][T] = {};
  for (int k = k0; k < full; k += L) {
    for (due += prefetch.lines; due >= steps; due -= steps) {
      for (int r = 0; r < R; ++r) {
        __builtin_prefetch(prefetch.next + r * prefetch.stride, 0, 1);
      }
      prefetch.next += 64;
    }
    Vec<L> wv[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      wv[r] = load<L>(w + std::size_t(r) * a.in + k);
      if constexpr (std::is_same_v<W, float>) keep_in_register<L>(wv[r]);
    }
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      Vec<L> xv = load<L>(x + std::size_t(t) * a.in + k);
      keep_in_register<L>(xv);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) acc[r][t] += wv[r] * xv;
    }
  }
  for (int t = 0; t < T; ++t) {
    float* y = a.y + std::size_t(t0 + t) * a.out + r0;
    const float* xt = x + std::size_t(t) * a.in;
    for (int r = 0; r < R; ++r) {
      const W* wr = w + std::size_t(r) * a.in;
      float sum = sum_lanes<L>(acc[r][t]);
      for (int k = full; k < k1; ++k) sum += widen(wr[k]) * xt[k];
      y[r] += sum;
    }
  }
}

// The leftover tokens [t0, n) of a row group, fewer than a tile's T: one tile
// of exactly that many.
template <typename W, int L, int R, int T>
void token_tail(const Args& a, int r0, int t0, int k0, int k1, Prefetch prefetch) {
  if constexpr (T > 0) {
    if (a.n - t0 == T) return tile<W, L, R, T>(a, r0, t0, k0, k1, prefetch);
    token_tail<W, L, R, T - 1>(a, r0, t0, k0, k1, prefetch);
  }
}

// R rows from r0 times every token over columns [k0, k1): full token tiles,
// then the leftover tokens. The first tile reads the rows (from L2, where the
// prefetch put them); they stay in L1/L2 for the others. Together the tiles
// prefetch the same columns of the R rows from row `ahead`, column `ahead_k0`.
template <typename W, int L, int R>
void row_group(const Args& a, int r0, int k0, int k1, int ahead, int ahead_k0) {
  constexpr int T = Tile<L>::kTokens;
  const int tiles = (a.n + T - 1) / T;
  const std::size_t stride = std::size_t(a.in) * sizeof(W);
  const int segment_lines = int(((k1 - k0) * sizeof(W) + 63) / 64);
  const int lines = ahead_k0 < a.in ? (segment_lines + tiles - 1) / tiles : 0;
  Prefetch prefetch{static_cast<const char*>(a.w) + ahead * stride + ahead_k0 * sizeof(W), stride,
                    lines};
  int t0 = 0;
  for (; t0 + T <= a.n; t0 += T, prefetch.next += std::size_t(lines) * 64) {
    tile<W, L, R, T>(a, r0, t0, k0, k1, prefetch);
  }
  token_tail<W, L, R, T - 1>(a, r0, t0, k0, k1, prefetch);
}

// Columns per block: whole rows while every token's x fits kL2InputFloats, so
// each weight row streams from DRAM in one long run. (Blocks sized for x to stay
// in L1 instead were slower at every n: each short run of a row costs a
// horizontal sum per token, and the hardware prefetcher follows short runs
// badly.)
template <int L>
int column_block(const Args& a) {
  const int fit = kL2InputFloats / a.n / L * L;
  return std::min(a.in, std::max(fit, 64 * L));
}

// Output rows [r0, r1): y starts at the bias, then column block by column block
// each group of R rows is read from DRAM once and multiplied into every token,
// while the group kPrefetchBytes ahead (wrapping into the next block) is
// prefetched.
template <typename W, int L>
void rows(const Args& a, const float* bias, int r0, int r1) {
  constexpr int R = Tile<L>::kRows;
  for (int t = 0; t < a.n; ++t) {
    float* y = a.y + std::size_t(t) * a.out;
    if (bias) {
      std::copy(bias + r0, bias + r1, y + r0);
    } else {
      std::fill(y + r0, y + r1, 0.0f);
    }
  }
  const int block = column_block<L>(a);
  const int count = r1 - r0;
  for (int k0 = 0; k0 < a.in; k0 += block) {
    const int k1 = std::min(a.in, k0 + block);
    const int segment = (k1 - k0) * int(sizeof(W));
    const int distance = std::min((kPrefetchBytes / segment + R - 1) / R * R, count);
    auto group = [&](auto rows_per_group, int r) {
      const int ahead = r + distance;
      const bool wraps = ahead >= r1;
      row_group<W, L, decltype(rows_per_group)::value>(a, r, k0, k1, wraps ? ahead - count : ahead,
                                                       wraps ? k1 : k0);
    };
    int r = r0;
    for (; r + R <= r1; r += R) group(std::integral_constant<int, R>{}, r);
    for (; r < r1; ++r) group(std::integral_constant<int, 1>{}, r);
  }
}

template <typename W, int L>
void run(const Args& a, const float* bias) {
  constexpr int R = Tile<L>::kRows;
  // Enough chunks for the pool to balance (and to route around a descheduled
  // thread), each a multiple of the row tile and at least kParallelMinFloats
  // weights, so claiming it costs nothing in comparison (small models).
  const int balanced = a.out / (8 * thread_pool().threads());
  const int worth = int(kParallelMinFloats / std::max(a.in, 1)) + 1;
  const int per_chunk = std::max(std::max(balanced, worth) / R * R, R);
  parallel_for(a.out, per_chunk, [&](int r0, int r1, int) { rows<W, L>(a, bias, r0, r1); });
}

}  // namespace

template <int kLanes>
void small_batch_matmul_lanes(const float* x, const WeightMatrix& w, const float* bias, float* y,
                              int n) {
  GS_CHECK(n >= 1 && n <= kSmallBatchMax,
           "small-batch matmul takes 1.." << kSmallBatchMax << " tokens, got " << n);
  const Args a{x, w.data, y, n, w.cols, w.rows};
  if (w.type == DType::bf16) return run<std::uint16_t, kLanes>(a, bias);
  run<float, kLanes>(a, bias);
}

template void small_batch_matmul_lanes<8>(const float*, const WeightMatrix&, const float*, float*,
                                          int);
template void small_batch_matmul_lanes<16>(const float*, const WeightMatrix&, const float*, float*,
                                           int);

void small_batch_matmul(const float* x, const WeightMatrix& w, const float* bias, float* y, int n) {
  small_batch_matmul_lanes<kNativeFloats>(x, w, bias, y, n);
}

}  // namespace gs::kernels::cpu
