// GQA attention: one task per (token, KV head) streams that head's K history once
// scoring every query head of the group, then its V history once accumulating
// every query head's output. KV bandwidth scales with KV heads, not query heads.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/check.h"
#include "kernels/cpu/attention_check.h"
#include "kernels/cpu/fast.h"

namespace gs::kernels::cpu {
namespace {

// Attention of query heads q_heads (group, head_dim) of one token over one KV head's
// history k, v (len, head_dim); scores (group, capacity) is this thread's scratch.
void attend_group(const float* q_heads, const float* k, const float* v, float* out_heads,
                  float* scores, int group, int len, int capacity, int d, float scale) {
  for (int j = 0; j < len; ++j) {
    const float* k_row = k + std::size_t(j) * d;
    for (int g = 0; g < group; ++g) {
      const float* q = q_heads + std::size_t(g) * d;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int i = 0; i < d; ++i) dot += q[i] * k_row[i];
      scores[std::size_t(g) * capacity + j] = scale * dot;
    }
  }
  // Unnormalised softmax; each output row is divided by its sum at the end.
  for (int g = 0; g < group; ++g) {
    float* p = scores + std::size_t(g) * capacity;
    const float max = *std::max_element(p, p + len);
    for (int j = 0; j < len; ++j) p[j] = std::exp(p[j] - max);
    std::fill(out_heads + std::size_t(g) * d, out_heads + std::size_t(g + 1) * d, 0.0f);
  }
  // Four value rows per step: each output row is loaded and stored once per four.
  int j = 0;
  for (; j + 4 <= len; j += 4) {
    const float* v0 = v + std::size_t(j) * d;
    const float *v1 = v0 + d, *v2 = v1 + d, *v3 = v2 + d;
    for (int g = 0; g < group; ++g) {
      const float* p = scores + std::size_t(g) * capacity + j;
      const float p0 = p[0], p1 = p[1], p2 = p[2], p3 = p[3];
      float* o = out_heads + std::size_t(g) * d;
#pragma omp simd
      for (int i = 0; i < d; ++i) o[i] += p0 * v0[i] + p1 * v1[i] + p2 * v2[i] + p3 * v3[i];
    }
  }
  for (; j < len; ++j) {
    const float* v_row = v + std::size_t(j) * d;
    for (int g = 0; g < group; ++g) {
      const float p = scores[std::size_t(g) * capacity + j];
      float* o = out_heads + std::size_t(g) * d;
#pragma omp simd
      for (int i = 0; i < d; ++i) o[i] += p * v_row[i];
    }
  }
  for (int g = 0; g < group; ++g) {
    const float* p = scores + std::size_t(g) * capacity;
    const float inv = 1.0f / std::accumulate(p, p + len, 0.0f);
    float* o = out_heads + std::size_t(g) * d;
#pragma omp simd
    for (int i = 0; i < d; ++i) o[i] *= inv;
  }
}

}  // namespace

std::size_t gqa_attention_scratch_floats(int max_q_per_kv, int capacity) {
  return std::size_t(threads()) * max_q_per_kv * capacity;
}

void gqa_attention(const AttentionBatch& batch, const KvCacheView& kv, std::span<float> scratch) {
  check_attention(batch, kv);
  const int team = threads();
  const std::size_t per_thread = std::size_t(max_group_size(batch)) * kv.capacity;
  GS_CHECK(scratch.size() >= team * per_thread,
           "attention: scratch holds " << scratch.size() << " floats but " << team
                                       << " threads need " << team * per_thread
                                       << "; size it with gqa_attention_scratch_floats after "
                                          "set_threads");
  const int n_heads = batch.n_q_heads, d = batch.head_dim;
  const int tasks = batch.n_tokens * kv.n_kv_heads;
  // Lengths differ a lot within a prefill chunk, so hand tasks out dynamically.
#pragma omp parallel for schedule(dynamic) num_threads(team)
  for (int task = 0; task < tasks; ++task) {
    const int t = task / kv.n_kv_heads, kv_head = task % kv.n_kv_heads;
    // kv_of_q is non-decreasing, so this KV head's query heads are one run.
    const auto [first, last] = std::equal_range(batch.kv_of_q, batch.kv_of_q + n_heads, kv_head);
    if (first == last) continue;  // a cached KV head no local query head reads
    const std::size_t head0 = std::size_t(t) * n_heads + (first - batch.kv_of_q);
    const std::size_t offset = kv.head_offset(batch.slots[t], kv_head);
    attend_group(batch.q + head0 * d, kv.k + offset, kv.v + offset, batch.out + head0 * d,
                 scratch.data() + omp_get_thread_num() * per_thread, int(last - first),
                 batch.lengths[t], kv.capacity, d, batch.scale);
  }
}

}  // namespace gs::kernels::cpu
