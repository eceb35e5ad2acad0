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
  // Optional additive score bias by relative position (T5): the score of local query
  // head h at query position p for key position j gains
  // position_bias[h * position_bias_stride + position_bias_offset + j - p].
  // Null: no bias (positions may then be null too).
  const float* position_bias = nullptr;  // (n_q_heads, position_bias_stride)
  int position_bias_stride = 0;
  int position_bias_offset = 0;          // index of relative position 0
  const int* positions = nullptr;        // (n_tokens): query positions, read only with position_bias
};

}  // namespace gs::kernels
