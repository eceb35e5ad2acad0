// Validation shared by every CPU attention kernel, run before any work starts so a
// bad batch fails with a clear message instead of reading outside the cache.
#pragma once

#include "kernels/attention_batch.h"
#include "kernels/cpu/kv_layout.h"

namespace gs::kernels {

// Throws gs::Error unless batch and kv agree on shapes, kv_of_q is non-decreasing
// and within the local KV heads, and every token reads at least one position, all
// of them in blocks of the pool that its block table lists.
void check_attention(const AttentionBatch& batch, const KvCacheView& kv);

// Most query heads that share one KV head (the longest run in kv_of_q).
int max_group_size(const AttentionBatch& batch);

}  // namespace gs::kernels
