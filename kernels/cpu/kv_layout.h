// The CPU backends' KV-cache layout, read by the reference and the fast attention.
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/kv_cache.h"

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

// The KV cache of a CPU backend: f32, every layer allocated up front in host memory.
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

  std::vector<float> k_;  // (layers, slots, n_kv_heads, capacity * head_dim) as KvCacheView::key_index
  std::vector<float> v_;  // (layers, slots, n_kv_heads, capacity, head_dim)
};

}  // namespace gs::kernels
