// The CPU backends' KV-cache layout, read by the reference and the fast attention.
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/kv_cache.h"

namespace gs::kernels {

// Cached keys and values of one layer on one rank: a pool of blocks. One KV head's
// positions within one block are contiguous (block_size * head_dim floats each for
// k and v), so a sequence's history is streamed a block at a time.
//
// v: (n_blocks, n_kv_heads, block_size, head_dim), a row per position.
// k: (n_blocks, n_kv_heads, block_size / 16, head_dim, 16): positions in tiles of 16,
//    transposed within a tile (element i of the tile's 16 keys adjacent), so scoring
//    16 positions is whole-vector FMAs with no horizontal sums. key_index() says where.
struct KvCacheView {
  static constexpr int kKeyTile = 16;

  const float* k = nullptr;
  const float* v = nullptr;
  int n_blocks = 0;
  int block_size = 0;  // a multiple of kKeyTile
  int n_kv_heads = 0;
  int head_dim = 0;

  // Where one KV head's part of one block starts, in k and in v.
  std::size_t block_offset(int block, int kv_head) const {
    return (static_cast<std::size_t>(block) * n_kv_heads + kv_head) * block_size * head_dim;
  }
  // Within one block of one head's keys: element i of position j (0 <= j < block_size).
  std::size_t key_index(int j, int i) const {
    return static_cast<std::size_t>(j / kKeyTile * kKeyTile) * head_dim +
           static_cast<std::size_t>(i) * kKeyTile + j % kKeyTile;
  }
};

// The KV cache of a CPU backend: f32, every layer's pool allocated up front in host memory.
class CpuKvCache final : public KvCache {
 public:
  explicit CpuKvCache(const KvCacheShape& shape);

  std::int64_t bytes() const override {
    return static_cast<std::int64_t>(k_.size() + v_.size()) * sizeof(float);
  }
  void store(int layer, const KvRows& rows);
  KvCacheView view(int layer) const;

 private:
  std::size_t layer_floats() const;

  std::vector<float> k_;  // (layers, n_blocks, n_kv_heads, block_size * head_dim) as KvCacheView::key_index
  std::vector<float> v_;  // (layers, n_blocks, n_kv_heads, block_size, head_dim)
};

}  // namespace gs::kernels
