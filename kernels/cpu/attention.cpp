// GQA attention: one task per (token, KV head) streams that head's K history once
// scoring every query head of the group, then its V history once accumulating
// every query head's output. KV bandwidth scales with KV heads, not query heads.
//
// At long context a decode step is all this loop, and with a group of 8 query
// heads it must do 8 dot products per 256-byte key row to keep up with memory. So
// keys go in blocks small enough to stay in L1 while every query head of the group
// uses them, scores are summed sixteen at a time (vec16.h), exp is a polynomial
// the compiler vectorises, and head dims 64 and 128 get fully unrolled loops.
#include <omp.h>

#include <algorithm>
#include <bit>
#include <cstdint>

#include "kernels/check.h"
#include "kernels/cpu/attention_check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/vec16.h"

namespace gs::kernels::cpu {
namespace {

// e^x for x <= 0 (a score minus its row's maximum) within ~2 float ulps: x = n·ln2 + r
// with |r| <= ln2/2, e^r by Cephes' expf polynomial, 2^n built in the exponent bits.
// Plain float arithmetic, so `omp simd` vectorises it (std::exp stays scalar
// without -ffast-math).
inline float exp_nonpositive(float x) {
  x = std::max(x, -87.0f);  // e^-87 ~ 1.6e-38: below, 2^n would leave the normal range
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (x * 1.44269504f + shifter) - shifter;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e_r = p * r * r + r + 1.0f;
  return e_r * std::bit_cast<float>((static_cast<std::int32_t>(n) + 127) << 23);
}

// Keys per block of the value pass: 64 rows of up to 128 floats stay in L1 while
// every query head of the group accumulates them.
constexpr int kValueBlock = 64;

// Output rows of `count` (<= kHeads) query heads, each kC chunks of 16 floats (rows
// D apart), += sum over keys j in [j0, j1) of p[h][j] · row j of v (p rows
// `stride` apart). The accumulators stay in registers and each value row is
// loaded once for all kHeads heads: kHeads * kC is 16 of the 32 vector registers.
template <int kC, int kHeads>
void add_values_fixed(float* o, const float* p, std::size_t stride, const float* v, int j0, int j1,
                      int count) {
  constexpr int D = 16 * kC;
  v16 acc[kHeads][kC];
#pragma GCC unroll 16
  for (int h = 0; h < kHeads; ++h)
    for (int c = 0; c < kC; ++c) acc[h][c] = h < count ? load16(o + h * D + 16 * c) : v16{};
  for (int j = j0; j < j1; ++j) {
    v16 row[kC];
#pragma GCC unroll 8
    for (int c = 0; c < kC; ++c) row[c] = load16(v + std::size_t(j) * D + 16 * c);
#pragma GCC unroll 16
    for (int h = 0; h < kHeads; ++h) {
      if (h >= count) break;
      const float weight = p[h * stride + j];
      for (int c = 0; c < kC; ++c) acc[h][c] += weight * row[c];
    }
  }
#pragma GCC unroll 16
  for (int h = 0; h < count; ++h)
    for (int c = 0; c < kC; ++c) store16(o + h * D + 16 * c, acc[h][c]);
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

// One KV head's attention for `group` query heads of one token. kD is the head dim
// when known at compile time (the loops then unroll), else 0 and d is used.
// q, out: (group, d); k, v: (len, d); scratch: (group, capacity) scores, then
// (group) inverse softmax sums.
template <int kD>
void attend_group(const float* q, const float* k, const float* v, float* out, float* scratch,
                  int group, int len, int capacity, int d, float scale) {
  const int D = kD ? kD : d;
  const int chunks = D / 16, tail = D % 16;
  float* scores = scratch;
  float* inv_sums = scratch + std::size_t(group) * capacity;

  // Scores, sixteen keys at a time: each key row's products with a query head are
  // reduced together with fifteen others' by one shuffle tree.
  for (int j = 0; j < len; j += 16) {
    const int rows = std::min(16, len - j);
    const float* kb = k + std::size_t(j) * D;
    for (int g = 0; g < group; ++g) {
      const float* qg = q + std::size_t(g) * D;
      v16 products[16];
#pragma GCC unroll 16
      for (int r = 0; r < 16; ++r) {
        v16 acc = {};
        if (r < rows) {
          const float* row = kb + std::size_t(r) * D;
#pragma GCC unroll 8
          for (int c = 0; c < chunks; ++c) acc += load16(qg + 16 * c) * load16(row + 16 * c);
          if (tail) acc += load16(qg + 16 * chunks, tail) * load16(row + 16 * chunks, tail);
        }
        products[r] = acc;
      }
      float* dst = scores + std::size_t(g) * capacity + j;
      if (rows == 16) {
        store16(dst, sum16(products) * scale);
      } else {
        store16(dst, sum16(products) * scale, rows);
      }
    }
  }

  // Unnormalised softmax; each output row is divided by its sum at the end.
  for (int g = 0; g < group; ++g) {
    float* p = scores + std::size_t(g) * capacity;
    float max = p[0];
#pragma omp simd reduction(max : max)
    for (int j = 0; j < len; ++j) max = std::max(max, p[j]);
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < len; ++j) {
      p[j] = exp_nonpositive(p[j] - max);
      sum += p[j];
    }
    inv_sums[g] = 1.0f / sum;
    std::fill(out + std::size_t(g) * D, out + std::size_t(g + 1) * D, 0.0f);
  }

  // Values: a block of rows stays in L1 while the group's heads add their shares.
  for (int j0 = 0; j0 < len; j0 += kValueBlock) {
    const int j1 = std::min(len, j0 + kValueBlock);
    if constexpr (kD % 16 == 0 && kD > 0) {
      constexpr int kHeads = std::max(1, 256 / kD);
      for (int g = 0; g < group; g += kHeads)
        add_values_fixed<kD / 16, kHeads>(out + std::size_t(g) * D, scores + std::size_t(g) * capacity,
                                          capacity, v, j0, j1, std::min(kHeads, group - g));
    } else {
      for (int g = 0; g < group; ++g)
        for (int c = 0; c < D; c += 16)
          add_values_any(out + std::size_t(g) * D + c, scores + std::size_t(g) * capacity, v + c, j0,
                         j1, D, std::min(16, D - c));
    }
  }
  for (int g = 0; g < group; ++g) {
    float* o = out + std::size_t(g) * D;
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
  const std::size_t per_thread = std::size_t(max_group_size(batch)) * (kv.capacity + 1);
  GS_CHECK(scratch.size() >= team * per_thread,
           "attention: scratch holds " << scratch.size() << " floats but " << team
                                       << " threads need " << team * per_thread
                                       << "; size it with gqa_attention_scratch_floats after "
                                          "set_threads");
  const int n_heads = batch.n_q_heads, d = batch.head_dim;
  const int tasks = batch.n_tokens * kv.n_kv_heads;
  auto attend = d == 64 ? attend_group<64> : d == 128 ? attend_group<128> : attend_group<0>;
  // Lengths differ a lot within a prefill chunk, so hand tasks out dynamically.
#pragma omp parallel for schedule(dynamic) num_threads(team)
  for (int task = 0; task < tasks; ++task) {
    const int t = task / kv.n_kv_heads, kv_head = task % kv.n_kv_heads;
    // kv_of_q is non-decreasing, so this KV head's query heads are one run.
    const auto [first, last] = std::equal_range(batch.kv_of_q, batch.kv_of_q + n_heads, kv_head);
    if (first == last) continue;  // a cached KV head no local query head reads
    const std::size_t head0 = std::size_t(t) * n_heads + (first - batch.kv_of_q);
    const std::size_t offset = kv.head_offset(batch.slots[t], kv_head);
    attend(batch.q + head0 * d, kv.k + offset, kv.v + offset, batch.out + head0 * d,
           scratch.data() + omp_get_thread_num() * per_thread, int(last - first),
           batch.lengths[t], kv.capacity, d, batch.scale);
  }
}

}  // namespace gs::kernels::cpu
