// The KV cache of one rank: only the KV heads its ShardPlan gives it, for a fixed
// number of sequence slots and positions, allocated once, in the layout of
// kernels::KvCacheView (keys in transposed tiles of 16 positions).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/attention_batch.h"

namespace gs {

class KvCache {
 public:
  KvCache(int n_layers, int slots, int n_kv_heads, int capacity, int head_dim);

  int slots() const { return slots_; }
  int capacity() const { return capacity_; }
  std::int64_t bytes() const { return static_cast<std::int64_t>(k_.size() + v_.size()) * sizeof(float); }

  // Stores the K/V rows of n_tokens tokens, k and v shaped (n_tokens, n_kv_heads, head_dim),
  // at each token's (slot, position).
  void store(int layer, int n_tokens, const int* slots, const int* positions, const float* k,
             const float* v);
  kernels::KvCacheView view(int layer) const;

 private:
  std::size_t layer_floats() const;

  int n_layers_, slots_, n_kv_heads_, capacity_, head_dim_;
  std::vector<float> k_;  // (layers, slots, n_kv_heads, capacity * head_dim) as KvCacheView::key_index
  std::vector<float> v_;  // (layers, slots, n_kv_heads, capacity, head_dim)
};

}  // namespace gs
