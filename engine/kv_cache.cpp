#include "engine/kv_cache.h"

#include <algorithm>

#include "kernels/check.h"

namespace gs {

KvCache::KvCache(int n_layers, int slots, int n_kv_heads, int capacity, int head_dim)
    : n_layers_(n_layers), slots_(slots), n_kv_heads_(n_kv_heads), capacity_(capacity),
      head_dim_(head_dim) {
  k_.resize(layer_floats() * n_layers_);
  v_.resize(k_.size());
}

std::size_t KvCache::layer_floats() const {
  return static_cast<std::size_t>(slots_) * n_kv_heads_ * capacity_ * head_dim_;
}

kernels::KvCacheView KvCache::view(int layer) const {
  return {k_.data() + layer * layer_floats(), v_.data() + layer * layer_floats(), n_kv_heads_,
          capacity_, head_dim_};
}

void KvCache::store(int layer, int n_tokens, const int* slots, const int* positions,
                    const float* k, const float* v) {
  const kernels::KvCacheView cache = view(layer);
  for (int t = 0; t < n_tokens; ++t) {
    GS_CHECK(slots[t] >= 0 && slots[t] < slots_ && positions[t] >= 0 && positions[t] < capacity_,
             "KV cache: slot " << slots[t] << " position " << positions[t] << " is outside "
                               << slots_ << " slots of " << capacity_ << " positions");
    for (int h = 0; h < n_kv_heads_; ++h) {
      const std::size_t src = (static_cast<std::size_t>(t) * n_kv_heads_ + h) * head_dim_;
      const std::size_t head = layer * layer_floats() + cache.head_offset(slots[t], h);
      for (int i = 0; i < head_dim_; ++i) k_[head + cache.key_index(positions[t], i)] = k[src + i];
      std::copy_n(v + src, head_dim_, v_.data() + head + static_cast<std::size_t>(positions[t]) * head_dim_);
    }
  }
}

}  // namespace gs
