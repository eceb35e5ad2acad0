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
  GS_CHECK(kv.n_kv_heads > 0 && kv.n_blocks > 0 && kv.block_size > 0 && kv.head_dim > 0,
           "attention: bad cache shape (n_kv_heads " << kv.n_kv_heads << ", " << kv.n_blocks
                                                     << " blocks of " << kv.block_size << ", head_dim "
                                                     << kv.head_dim << ")");
  for (int h = 0; h < batch.n_q_heads; ++h) {
    const int kv_head = batch.kv_of_q[h];
    GS_CHECK(kv_head >= 0 && kv_head < kv.n_kv_heads,
             "attention: query head " << h << " reads KV head " << kv_head << " but the cache has "
                                      << kv.n_kv_heads);
    GS_CHECK(h == 0 || kv_head >= batch.kv_of_q[h - 1],
             "attention: kv_of_q must be non-decreasing (query head " << h << ")");
  }
  const BlockTables& tables = batch.tables;
  for (int t = 0; t < batch.n_tokens; ++t) {
    const int len = batch.lengths[t];
    GS_CHECK(tables.row[t] >= 0, "attention: token " << t << " has block table row " << tables.row[t]);
    GS_CHECK(len >= 1 && (len + kv.block_size - 1) / kv.block_size <= tables.width,
             "attention: token " << t << " attends to " << len << " positions; its block table holds "
                                 << tables.width << " blocks of " << kv.block_size);
    for (int j = 0; j < len; j += kv.block_size) {
      const int block = tables.block_of(t, j, kv.block_size);
      GS_CHECK(block >= 0 && block < kv.n_blocks, "attention: token " << t << " reads block " << block
                                                                      << " of a pool of " << kv.n_blocks);
    }
    if (batch.position_bias) {
      // Every relative position key - query read must lie inside the bias rows.
      const int first = batch.position_bias_offset - batch.positions[t];
      const int last = first + len - 1;
      GS_CHECK(batch.positions != nullptr && first >= 0 && last < batch.position_bias_stride,
               "attention: token " << t << " at position " << batch.positions[t] << " reads relative "
                                   << "positions outside the bias table of " << batch.position_bias_stride);
    }
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
