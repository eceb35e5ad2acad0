#include "kernels/cpu/kv_layout.h"

#include <algorithm>

#include "common/check.h"

namespace gs::kernels {

CpuKvCache::CpuKvCache(const KvCacheShape& shape) : KvCache(shape) {
  GS_CHECK(shape.n_layers >= 0 && shape.slots >= 1 && shape.n_kv_heads >= 0 && shape.capacity >= 1 &&
               shape.head_dim >= 1,
           "KV cache shape: " << shape.n_layers << " layers, " << shape.slots << " slots, "
                              << shape.n_kv_heads << " heads, " << shape.capacity << " positions, head_dim "
                              << shape.head_dim);
  k_.resize(layer_floats() * shape.n_layers);
  v_.resize(k_.size());
}

std::size_t CpuKvCache::layer_floats() const {
  const KvCacheShape& s = shape();
  return static_cast<std::size_t>(s.slots) * s.n_kv_heads * s.capacity * s.head_dim;
}

KvCacheView CpuKvCache::view(int layer) const {
  const KvCacheShape& s = shape();
  return {k_.data() + layer * layer_floats(), v_.data() + layer * layer_floats(), s.n_kv_heads,
          s.capacity, s.head_dim};
}

void CpuKvCache::store(int layer, const KvRows& rows) {
  const KvCacheShape& s = shape();
  const KvCacheView cache = view(layer);
  for (int t = 0; t < rows.n_tokens; ++t) {
    const int slot = rows.slots[t], position = rows.positions[t];
    GS_CHECK(slot >= 0 && slot < s.slots && position >= 0 && position < s.capacity,
             "KV cache: slot " << slot << " position " << position << " is outside " << s.slots
                               << " slots of " << s.capacity << " positions");
    for (int h = 0; h < s.n_kv_heads; ++h) {
      const std::size_t src = (static_cast<std::size_t>(t) * s.n_kv_heads + h) * s.head_dim;
      const std::size_t head = layer * layer_floats() + cache.head_offset(slot, h);
      for (int i = 0; i < s.head_dim; ++i) k_[head + cache.key_index(position, i)] = rows.k[src + i];
      std::copy_n(rows.v + src, s.head_dim, v_.data() + head + static_cast<std::size_t>(position) * s.head_dim);
    }
  }
}

}  // namespace gs::kernels
