// The work of one attention call, shared by every backend (reference, fast CPU,
// CUDA); the cache it reads is laid out as the backend chooses (kernels/kv_cache.h).
#pragma once

#include <cstddef>

#include "kernels/kv_cache.h"

namespace gs::kernels {

// A batch of tokens, each attending causally to the cache of its own sequence.
// Tokens of a prefill chunk and single decode tokens of many sequences mix freely.
struct AttentionBatch {
  int n_tokens = 0;
  int n_q_heads = 0;
  int head_dim = 0;
  const float* q = nullptr;      // (n_tokens, n_q_heads, head_dim)
  float* out = nullptr;          // (n_tokens, n_q_heads, head_dim)
  const int* kv_of_q = nullptr;  // (n_q_heads): local KV head read by each query head;
                                 // non-decreasing, so a group's query heads are adjacent
  BlockTables tables;            // where each token's sequence keeps its positions
  const int* lengths = nullptr;  // (n_tokens): positions attended to (token position + 1)
  float scale = 1.0f;            // 1/sqrt(head_dim)
};

}  // namespace gs::kernels
