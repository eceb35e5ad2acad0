// Shapes shared by every attention kernel (reference, fast CPU, later CUDA).
#pragma once

#include <cstddef>

namespace gs::kernels {

// Cached keys and values of one layer on one rank. One KV head's history of one
// sequence is contiguous (capacity * head_dim floats each for k and v), so it is
// streamed once per decode step.
//
// v: (slots, n_kv_heads, capacity, head_dim), a row per position.
// k: (slots, n_kv_heads, tiles, head_dim, 16): positions in tiles of 16, transposed
//    within a tile (element i of the tile's 16 keys adjacent), so scoring 16
//    positions is whole-vector FMAs with no horizontal sums; the last tile of a
//    head holds capacity % 16 positions when that is not 0. key_index() says where.
struct KvCacheView {
  static constexpr int kKeyTile = 16;

  const float* k = nullptr;
  const float* v = nullptr;
  int n_kv_heads = 0;
  int capacity = 0;  // positions per slot
  int head_dim = 0;

  std::size_t head_offset(int slot, int kv_head) const {
    return (static_cast<std::size_t>(slot) * n_kv_heads + kv_head) * capacity * head_dim;
  }
  // Within one head's keys: element i of position j.
  std::size_t key_index(int j, int i) const {
    const int tile_begin = j / kKeyTile * kKeyTile;
    const int width = capacity - tile_begin < kKeyTile ? capacity - tile_begin : kKeyTile;
    return static_cast<std::size_t>(tile_begin) * head_dim + static_cast<std::size_t>(i) * width +
           (j - tile_begin);
  }
};

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
  const int* slots = nullptr;    // (n_tokens): cache slot of the token's sequence
  const int* lengths = nullptr;  // (n_tokens): positions attended to (token position + 1)
  float scale = 1.0f;            // 1/sqrt(head_dim)
};

}  // namespace gs::kernels
