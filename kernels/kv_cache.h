// KvCache: one rank's cached keys and values, for the KV heads its ShardPlan gives
// it, in a layout that is the backend's own business (each backend's attention
// reads it fastest its own way). Created by Backend::make_kv_cache, written by
// Backend::store_kv and read by Backend::attention of the same backend.
//
// The cache is paged (vLLM's PagedAttention idea): a pool of blocks of
// `block_size` positions each, shared by all sequences. A sequence's positions live
// in the blocks its block table lists, in order — rank 0 decides them
// (engine/kv_blocks.h) and every step carries the tables of its sequences.
#pragma once

#include <cstdint>

namespace gs::kernels {

struct KvCacheShape {
  int n_layers = 0;
  int n_blocks = 0;    // blocks in the pool
  int block_size = 0;  // positions per block, a multiple of 16
  int n_kv_heads = 0;  // this rank's KV heads
  int head_dim = 0;

  std::int64_t positions() const { return static_cast<std::int64_t>(n_blocks) * block_size; }
  // Keys and values of one position of every layer and head, in `element_bytes`.
  std::int64_t bytes_per_position(int element_bytes) const {
    return 2LL * n_layers * n_kv_heads * head_dim * element_bytes;
  }
};

// Where each token of a step finds its sequence's positions. In backend memory.
struct BlockTables {
  const int* blocks = nullptr;  // (rows, width): a sequence's cache blocks in position order
  int width = 0;
  const int* row = nullptr;     // (n_tokens): table row of each token's sequence

  // Block holding position `position` of token t's sequence (host memory only).
  int block_of(int t, int position, int block_size) const {
    return blocks[static_cast<std::int64_t>(row[t]) * width + position / block_size];
  }
};

class KvCache {
 public:
  explicit KvCache(const KvCacheShape& shape) : shape_(shape) {}
  virtual ~KvCache() = default;
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  const KvCacheShape& shape() const { return shape_; }
  virtual std::int64_t bytes() const = 0;

 private:
  KvCacheShape shape_;
};

// The K/V rows of a step's tokens, to be stored at each token's position in its
// sequence's blocks. Pointers are in the backend's memory.
struct KvRows {
  int n_tokens = 0;
  const float* k = nullptr;       // (n_tokens, n_kv_heads, head_dim)
  const float* v = nullptr;       // (n_tokens, n_kv_heads, head_dim)
  BlockTables tables;
  const int* positions = nullptr; // (n_tokens)
};

}  // namespace gs::kernels
