// GQA attention: one task per (token, KV head) streams that head's K history once
// scoring every query head of the group, then its V history once accumulating
// every query head's output. KV bandwidth scales with KV heads, not query heads.
//
// The arithmetic does not shrink with G, so it must stay under the memory time of
// the smallest G: at context 4096, GQA-4 of 32 heads reads 8 MiB per layer but
// still does 2 x 32 x 4096 x 64 multiply-adds. So keys are stored in transposed
// tiles (cpu/kv_layout.h) and scored sixteen positions per FMA, every loop
// keeps 16 vector accumulators in flight, a tile or a block of value rows stays
// in L1 while all heads of the group use it, and exp is a polynomial on whole
// vectors. Head dims 64 and 128 get fully unrolled loops. (Measured on 2 Zen 5
// cores at context 4096: GQA-4 of 32 heads went from 2.2 ms to 0.27 ms per layer,
// MHA from ~6 ms to 1.4 ms, where memory bandwidth bounds it.)
#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/check.h"
#include "kernels/cpu/attention_check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/cpu/vec16.h"

namespace gs::kernels::cpu {
namespace {

// e^x for x <= 0 (scores minus their maximum) within ~2 float ulps: x = n·ln2 + r
// with |r| <= ln2/2, e^r by Cephes' expf polynomial, and 2^n added to the result's
// exponent bits. Rounding x·log2(e) by adding 1.5·2^23 leaves n in the low bits of
// the sum, so no float-to-int conversion is needed. std::exp stays scalar without
// -ffast-math.
inline v16 exp16(v16 x) {
  using i16 = std::int32_t __attribute__((vector_size(64)));
  const v16 floor = v16{} - 87.0f;  // e^-87 ~ 1.6e-38: below, 2^n leaves the normal range
  x = x < floor ? floor : x;
  const v16 shifter = v16{} + 12582912.0f;
  const v16 t = x * 1.44269504f + shifter;
  const v16 n = t - shifter;
  const v16 r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  v16 p = 1.9875691500e-4f * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const v16 e_r = p * (r * r) + (r + 1.0f);
  const i16 two_n = (reinterpret_cast<i16>(t) - reinterpret_cast<i16>(shifter)) << 23;
  return reinterpret_cast<v16>(reinterpret_cast<i16>(e_r) + two_n);
}

// p (len) = e^(p - max p), unnormalised; returns 1 / sum.
float softmax_unnormalised(float* p, int len) {
  const int full = len / 16 * 16, tail = len - full;
  const float lowest = -std::numeric_limits<float>::infinity();
  v16 vmax = v16{} + lowest;
  for (int j = 0; j < full; j += 16) {
    const v16 x = load16(p + j);
    vmax = x > vmax ? x : vmax;
  }
  float max = lowest;
  for (int l = 0; l < 16; ++l) max = std::max(max, vmax[l]);
  for (int j = full; j < len; ++j) max = std::max(max, p[j]);
  v16 sum = {};
  for (int j = 0; j < full; j += 16) {
    const v16 e = exp16(load16(p + j) - max);
    store16(p + j, e);
    sum += e;
  }
  if (tail) {
    // Lanes past len hold e^(0 - max), which is dropped by the partial store; only
    // the stored lanes count.
    const v16 e = exp16(load16(p + full, tail) - max);
    store16(p + full, e, tail);
    for (int l = 0; l < tail; ++l) sum[l] += e[l];
  }
  return 1.0f / sum_lanes(sum);
}

// A key tile row or a chunk of a value row (16 floats) in native vectors. The two
// loops below keep their accumulators in these: sized for AVX-512 and written on
// v16, on AVX2 both spilled them (GCC 12: 251 and 351 stack accesses per 32
// FMAs), and a 512-token prefill spent 15 % of its time in them.
constexpr int kPerV16 = 16 / kNativeFloats;

// Query heads one score tile serves at a time: two accumulators each, a quarter
// of the registers in all.
constexpr int kScoreHeads = kVectorRegisters / 4 / kPerV16;

// Scores of `count` (<= kScoreHeads) query heads q (count, D) against one full key
// tile (D, 16): each query element scales a whole tile row, so there are no
// horizontal sums; two partial sums per head (even and odd elements) keep up to 16
// FMA chains in flight. Every head goes through the same operations whatever
// `count` is, so a head's scores do not depend on how many heads share its KV
// head. The first `valid` scores of each head go to out (rows `stride` apart).
template <int kD>
void score_tile(const float* q, int d, const float* tile, float* out, std::size_t stride,
                int count, int valid, float scale) {
  constexpr int P = kPerV16;
  const int D = kD ? kD : d;
  vnative even[kScoreHeads][P] = {}, odd[kScoreHeads][P] = {};
  int i = 0;
  for (; i + 2 <= D; i += 2) {
    vnative row0[P], row1[P];
    for (int p = 0; p < P; ++p) {
      row0[p] = load_native(tile + std::size_t(i) * 16 + p * kNativeFloats);
      row1[p] = load_native(tile + std::size_t(i + 1) * 16 + p * kNativeFloats);
    }
#pragma GCC unroll 8
    for (int h = 0; h < kScoreHeads; ++h) {
      if (h >= count) break;
      const float q0 = q[h * D + i], q1 = q[h * D + i + 1];
      for (int p = 0; p < P; ++p) {
        even[h][p] += q0 * row0[p];
        odd[h][p] += q1 * row1[p];
      }
    }
  }
  if (i < D) {
    for (int h = 0; h < count && h < kScoreHeads; ++h)
      for (int p = 0; p < P; ++p)
        even[h][p] += q[h * D + i] * load_native(tile + std::size_t(i) * 16 + p * kNativeFloats);
  }
#pragma GCC unroll 8
  for (int h = 0; h < kScoreHeads; ++h) {
    if (h >= count) break;
    float sum[16];
    for (int p = 0; p < P; ++p) store_native(sum + p * kNativeFloats, (even[h][p] + odd[h][p]) * scale);
    std::copy(sum, sum + valid, out + h * stride);
  }
}

// Scores (group, stride) of every query head q (group, D) against positions
// [0, len) of one KV head's keys, which lie in `blocks` (the sequence's block table):
// each tile is read from memory once, and from L1 by each chunk of up to
// kScoreHeads heads.
template <int kD>
void score_keys(const float* q, const KvCacheView& kv, const int* blocks, int kv_head, float* scores,
                std::size_t stride, int group, int len, float scale) {
  constexpr int T = KvCacheView::kKeyTile;
  const int D = kD ? kD : kv.head_dim;
  for (int j = 0; j < len; j += T) {
    const int valid = std::min(T, len - j);
    const float* tile = kv.k + kv.block_offset(blocks[j / kv.block_size], kv_head) +
                        kv.key_index(j % kv.block_size, 0);
    for (int g = 0; g < group; g += kScoreHeads)
      score_tile<kD>(q + g * D, D, tile, scores + j + g * stride, stride,
                     std::min(kScoreHeads, group - g), valid, scale);
  }
}

// Keys per block of the value pass: 64 rows of up to 128 floats stay in L1 while
// every query head of the group accumulates them.
constexpr int kValueBlock = 64;

// Output rows of `count` (<= kHeads) query heads, each kN native vectors (rows D
// apart), += sum over keys j in [j0, j1) of p[h][j] · row j of v (p rows
// `stride` apart). The accumulators stay in registers and each value row is
// loaded once for all kHeads heads: kHeads * kN is half the vector registers.
template <int kN, int kHeads>
void add_values_fixed(float* o, const float* p, std::size_t stride, const float* v, int j0, int j1,
                      int count) {
  constexpr int D = kNativeFloats * kN;
  vnative acc[kHeads][kN];
#pragma GCC unroll 16
  for (int h = 0; h < kHeads; ++h)
    for (int c = 0; c < kN; ++c)
      acc[h][c] = h < count ? load_native(o + h * D + kNativeFloats * c) : vnative{};
  for (int j = j0; j < j1; ++j) {
    vnative row[kN];
#pragma GCC unroll 16
    for (int c = 0; c < kN; ++c) row[c] = load_native(v + std::size_t(j) * D + kNativeFloats * c);
#pragma GCC unroll 16
    for (int h = 0; h < kHeads; ++h) {
      if (h >= count) break;
      const float weight = p[h * stride + j];
      for (int c = 0; c < kN; ++c) acc[h][c] += weight * row[c];
    }
  }
#pragma GCC unroll 16
  for (int h = 0; h < count; ++h)
    for (int c = 0; c < kN; ++c) store_native(o + h * D + kNativeFloats * c, acc[h][c]);
}

// Any head dim: one head and one chunk of 16 (or the last `width`) floats at a time.
void add_values_any(float* o, const float* p, const float* v, int j0, int j1, int D, int width) {
  v16 acc = load16(o, width);
  if (width == 16) {
    for (int j = j0; j < j1; ++j) acc += p[j] * load16(v + std::size_t(j) * D);
  } else {
    for (int j = j0; j < j1; ++j) acc += p[j] * load16(v + std::size_t(j) * D, width);
  }
  store16(o, acc, width);
}

// One KV head's attention for `group` query heads of one token over positions
// [0, len) of its sequence, whose cache blocks are `blocks`. kD is the head dim when
// known at compile time (the loops then unroll), else 0. q, out: (group, D);
// scratch: (group, stride) scores, then (group) inverse softmax sums; stride >= len.
// bias: null, or the group's first query head's row of the relative-position bias
// (rows bias_stride apart), already shifted so that bias[j] is key position j's.
template <int kD>
void attend_group(const float* q, const KvCacheView& kv, const int* blocks, int kv_head, float* out,
                  float* scratch, std::size_t stride, int group, int len, float scale, const float* bias,
                  int bias_stride) {
  const int D = kD ? kD : kv.head_dim;
  float* scores = scratch;
  float* inv_sums = scratch + group * stride;

  score_keys<kD>(q, kv, blocks, kv_head, scores, stride, group, len, scale);
  if (bias) {
    for (int g = 0; g < group; ++g) {
      float* row = scores + g * stride;
      const float* b = bias + std::size_t(g) * bias_stride;
#pragma omp simd
      for (int j = 0; j < len; ++j) row[j] += b[j];
    }
  }

  // Unnormalised softmax; each output row is divided by its sum at the end.
  for (int g = 0; g < group; ++g) {
    inv_sums[g] = softmax_unnormalised(scores + g * stride, len);
    std::fill(out + g * D, out + (g + 1) * D, 0.0f);
  }

  // Values: a block of rows stays in L1 while the group's heads add their shares.
  // Rows are added in position order whatever the block size, so the result does
  // not depend on how the sequence is paged.
  for (int j0 = 0; j0 < len; j0 += kValueBlock) {
    const int j1 = std::min(len, j0 + kValueBlock);
    for (int begin = j0; begin < j1;) {
      const int first = begin / kv.block_size * kv.block_size;  // the cache block's first position
      const int end = std::min(j1, first + kv.block_size);
      const float* v = kv.v + kv.block_offset(blocks[begin / kv.block_size], kv_head);
      const float* p = scores + first;  // p[j - first] weighs row j - first of v
      if constexpr (kD % 16 == 0 && kD > 0) {
        constexpr int kN = kD / kNativeFloats;
        constexpr int kHeads = std::max(1, kVectorRegisters / 2 / kN);
        for (int g = 0; g < group; g += kHeads)
          add_values_fixed<kN, kHeads>(out + g * D, p + g * stride, stride, v, begin - first,
                                       end - first, std::min(kHeads, group - g));
      } else {
        for (int g = 0; g < group; ++g)
          for (int c = 0; c < D; c += 16)
            add_values_any(out + g * D + c, p + g * stride, v + c, begin - first, end - first, D,
                           std::min(16, D - c));
      }
      begin = end;
    }
  }
  for (int g = 0; g < group; ++g) {
    float* o = out + g * D;
#pragma omp simd
    for (int i = 0; i < D; ++i) o[i] *= inv_sums[g];
  }
}

}  // namespace

std::size_t gqa_attention_scratch_floats(int max_q_per_kv, int capacity) {
  return std::size_t(threads()) * max_q_per_kv * (capacity + 1);
}

void gqa_attention(const AttentionBatch& batch, const KvCacheView& kv, std::span<float> scratch) {
  check_attention(batch, kv);
  const int team = threads();
  // Scores of one head: as many as a block table's positions.
  const std::size_t stride = std::size_t(batch.tables.width) * kv.block_size;
  const std::size_t per_thread = std::size_t(max_group_size(batch)) * (stride + 1);
  GS_CHECK(scratch.size() >= team * per_thread,
           "attention: scratch holds " << scratch.size() << " floats but " << team
                                       << " threads need " << team * per_thread
                                       << "; size it with gqa_attention_scratch_floats after "
                                          "set_threads");
  const int n_heads = batch.n_q_heads, d = batch.head_dim;
  const int tasks = batch.n_tokens * kv.n_kv_heads;
  auto attend = d == 64 ? attend_group<64> : d == 128 ? attend_group<128> : attend_group<0>;
  // Lengths differ a lot within a prefill chunk, so the pool hands tasks out one
  // at a time. One call covers every token of the batch, whatever its sequence.
  auto run_task = [&](int task, int thread) {
    const int t = task / kv.n_kv_heads, kv_head = task % kv.n_kv_heads;
    // kv_of_q is non-decreasing, so this KV head's query heads are one run.
    const auto [first, last] = std::equal_range(batch.kv_of_q, batch.kv_of_q + n_heads, kv_head);
    if (first == last) return;  // a cached KV head no local query head reads
    const std::size_t head0 = std::size_t(t) * n_heads + (first - batch.kv_of_q);
    const int* blocks = batch.tables.blocks + std::size_t(batch.tables.row[t]) * batch.tables.width;
    const float* bias = nullptr;
    if (batch.position_bias)
      bias = batch.position_bias + std::size_t(first - batch.kv_of_q) * batch.position_bias_stride +
             batch.position_bias_offset - batch.positions[t];
    attend(batch.q + head0 * d, kv, blocks, kv_head, batch.out + head0 * d,
           scratch.data() + thread * per_thread, stride, int(last - first), batch.lengths[t], batch.scale,
           bias, batch.position_bias_stride);
  };
  parallel_for(tasks, 1, [&](int begin, int end, int thread) {
    for (int task = begin; task < end; ++task) run_task(task, thread);
  });
}

}  // namespace gs::kernels::cpu
