// KvCache: one rank's cached keys and values, for the KV heads its ShardPlan gives
// it, in a layout that is the backend's own business (each backend's attention
// reads it fastest its own way). Created by Backend::make_kv_cache, written by
// Backend::store_kv and read by Backend::attention of the same backend.
#pragma once

#include <cstdint>

namespace gs::kernels {

struct KvCacheShape {
  int n_layers = 0;
  int slots = 0;       // sequences held at once
  int n_kv_heads = 0;  // this rank's KV heads
  int capacity = 0;    // positions per slot
  int head_dim = 0;

  // Keys and values of one position of every layer and head, in `element_bytes`.
  std::int64_t bytes_per_position(int element_bytes) const {
    return 2LL * n_layers * n_kv_heads * head_dim * element_bytes;
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

// The K/V rows of a step's tokens, to be stored at each token's (slot, position).
// Pointers are in the backend's memory.
struct KvRows {
  int n_tokens = 0;
  const float* k = nullptr;       // (n_tokens, n_kv_heads, head_dim)
  const float* v = nullptr;       // (n_tokens, n_kv_heads, head_dim)
  const int* slots = nullptr;     // (n_tokens)
  const int* positions = nullptr; // (n_tokens)
};

}  // namespace gs::kernels
