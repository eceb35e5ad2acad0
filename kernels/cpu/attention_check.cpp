#include "kernels/cpu/attention_check.h"

#include <algorithm>

#include "common/check.h"

namespace gs::kernels {

void check_attention(const AttentionBatch& batch, const KvCacheView& kv) {
  GS_CHECK(batch.n_tokens >= 0 && batch.n_q_heads > 0, "attention: bad batch shape (n_tokens "
                                                           << batch.n_tokens << ", n_q_heads "
                                                           << batch.n_q_heads << ")");
  GS_CHECK(batch.head_dim == kv.head_dim,
           "attention: query head_dim " << batch.head_dim << " != cache head_dim " << kv.head_dim);
  GS_CHECK(kv.n_kv_heads > 0 && kv.capacity > 0 && kv.head_dim > 0,
           "attention: bad cache shape (n_kv_heads " << kv.n_kv_heads << ", capacity "
                                                     << kv.capacity << ", head_dim " << kv.head_dim
                                                     << ")");
  for (int h = 0; h < batch.n_q_heads; ++h) {
    const int kv_head = batch.kv_of_q[h];
    GS_CHECK(kv_head >= 0 && kv_head < kv.n_kv_heads,
             "attention: query head " << h << " reads KV head " << kv_head << " but the cache has "
                                      << kv.n_kv_heads);
    GS_CHECK(h == 0 || kv_head >= batch.kv_of_q[h - 1],
             "attention: kv_of_q must be non-decreasing (query head " << h << ")");
  }
  for (int t = 0; t < batch.n_tokens; ++t) {
    GS_CHECK(batch.slots[t] >= 0, "attention: token " << t << " has slot " << batch.slots[t]);
    GS_CHECK(batch.lengths[t] >= 1 && batch.lengths[t] <= kv.capacity,
             "attention: token " << t << " attends to " << batch.lengths[t]
                                 << " positions; the cache holds 1.." << kv.capacity);
  }
}

int max_group_size(const AttentionBatch& batch) {
  int longest = 0;
  for (int h = 0, run = 0; h < batch.n_q_heads; ++h) {
    run = (h > 0 && batch.kv_of_q[h] == batch.kv_of_q[h - 1]) ? run + 1 : 1;
    longest = std::max(longest, run);
  }
  return longest;
}

}  // namespace gs::kernels
