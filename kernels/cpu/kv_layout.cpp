#include "kernels/cpu/kv_layout.h"

#include <algorithm>

#include "common/check.h"

namespace gs::kernels {

CpuKvCache::CpuKvCache(const KvCacheShape& shape) : KvCache(shape) {
  GS_CHECK(shape.n_layers >= 0 && shape.n_blocks >= 1 && shape.block_size >= KvCacheView::kKeyTile &&
               shape.block_size % KvCacheView::kKeyTile == 0 && shape.n_kv_heads >= 0 && shape.head_dim >= 1,
           "KV cache shape: " << shape.n_layers << " layers, " << shape.n_blocks << " blocks of "
                              << shape.block_size << " positions (a multiple of " << KvCacheView::kKeyTile
                              << "), " << shape.n_kv_heads << " heads, head_dim " << shape.head_dim);
  k_.resize(layer_floats() * shape.n_layers);
  v_.resize(k_.size());
}

std::size_t CpuKvCache::layer_floats() const {
  const KvCacheShape& s = shape();
  return static_cast<std::size_t>(s.positions()) * s.n_kv_heads * s.head_dim;
}

KvCacheView CpuKvCache::view(int layer) const {
  const KvCacheShape& s = shape();
  return {k_.data() + layer * layer_floats(), v_.data() + layer * layer_floats(), s.n_blocks, s.block_size,
          s.n_kv_heads, s.head_dim};
}

void CpuKvCache::store(int layer, const KvRows& rows) {
  const KvCacheShape& s = shape();
  const KvCacheView cache = view(layer);
  const std::size_t layer_begin = layer * layer_floats();
  for (int t = 0; t < rows.n_tokens; ++t) {
    const int position = rows.positions[t];
    GS_CHECK(position >= 0 && position / s.block_size < rows.tables.width,
             "KV cache: position " << position << " of token " << t << " is beyond its block table of "
                                   << rows.tables.width << " blocks of " << s.block_size);
    const int block = rows.tables.block_of(t, position, s.block_size);
    GS_CHECK(block >= 0 && block < s.n_blocks,
             "KV cache: token " << t << " position " << position << " maps to block " << block
                                << " of a pool of " << s.n_blocks);
    const int j = position % s.block_size;
    for (int h = 0; h < s.n_kv_heads; ++h) {
      const std::size_t src = (static_cast<std::size_t>(t) * s.n_kv_heads + h) * s.head_dim;
      const std::size_t head = layer_begin + cache.block_offset(block, h);
      for (int i = 0; i < s.head_dim; ++i) k_[head + cache.key_index(j, i)] = rows.k[src + i];
      std::copy_n(rows.v + src, s.head_dim, v_.data() + head + static_cast<std::size_t>(j) * s.head_dim);
    }
  }
}

}  // namespace gs::kernels
