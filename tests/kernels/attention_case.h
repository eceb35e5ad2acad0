// A random attention problem for the kernel tests: a KV cache of several sequences
// and a batch that mixes a prefill chunk with decode tokens of other sequences.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/attention_batch.h"
#include "kernels/cpu/kv_layout.h"
#include "tests/kernels/test_util.h"

namespace gs::kernels::test {

struct AttentionCase {
  int n_kv_heads = 0, capacity = 0, head_dim = 0;
  std::vector<int> kv_of_q;         // (n_q_heads)
  std::vector<int> slots, lengths;  // (n_tokens)
  std::vector<float> q;             // (n_tokens, n_q_heads, head_dim)
  std::vector<float> k, v;          // (n_slots, n_kv_heads, capacity, head_dim)

  int n_tokens() const { return int(slots.size()); }
  int n_q_heads() const { return int(kv_of_q.size()); }

  KvCacheView view() const { return {k.data(), v.data(), n_kv_heads, capacity, head_dim}; }

  // The batch writing into out, which is resized to (n_tokens, n_q_heads, head_dim).
  AttentionBatch batch(std::vector<float>& out) const {
    out.assign(q.size(), std::numeric_limits<float>::quiet_NaN());
    AttentionBatch b;
    b.n_tokens = n_tokens();
    b.n_q_heads = n_q_heads();
    b.head_dim = head_dim;
    b.q = q.data();
    b.out = out.data();
    b.kv_of_q = kv_of_q.data();
    b.slots = slots.data();
    b.lengths = lengths.data();
    b.scale = 1.0f / std::sqrt(float(head_dim));
    return b;
  }
};

inline constexpr int kCaseSlots = 4;

// Slot 0: a prefill chunk of every length 1..min(capacity, 12); slot 1: a decode
// token reading the full capacity; slot 2: one of length 1; slot 3: a random one.
// Cache entries no token may read are NaN, so an out-of-range read cannot pass.
inline AttentionCase make_attention_case(std::vector<int> kv_of_q, int n_kv_heads, int head_dim,
                                         int capacity, std::mt19937& rng) {
  AttentionCase c;
  c.n_kv_heads = n_kv_heads;
  c.capacity = capacity;
  c.head_dim = head_dim;
  c.kv_of_q = std::move(kv_of_q);
  std::vector<int> readable(kCaseSlots, 0);  // positions some token of the slot reads
  auto add_token = [&](int slot, int length) {
    c.slots.push_back(slot);
    c.lengths.push_back(length);
    readable[slot] = std::max(readable[slot], length);
  };
  add_token(2, 1);
  for (int len = 1; len <= std::min(capacity, 12); ++len) add_token(0, len);
  add_token(1, capacity);
  add_token(3, std::uniform_int_distribution<int>(1, capacity)(rng));

  c.q = random_floats(std::size_t(c.n_tokens()) * c.n_q_heads() * head_dim, rng);
  const std::size_t cache_size = std::size_t(kCaseSlots) * n_kv_heads * capacity * head_dim;
  c.k = random_floats(cache_size, rng);
  c.v = random_floats(cache_size, rng);
  const KvCacheView view = c.view();
  for (int slot = 0; slot < kCaseSlots; ++slot) {
    for (int h = 0; h < n_kv_heads; ++h) {
      const std::size_t head = view.head_offset(slot, h);
      for (int j = readable[slot]; j < capacity; ++j) {
        for (int i = 0; i < head_dim; ++i) {
          c.k[head + view.key_index(j, i)] = std::numeric_limits<float>::quiet_NaN();
          c.v[head + std::size_t(j) * head_dim + i] = std::numeric_limits<float>::quiet_NaN();
        }
      }
    }
  }
  return c;
}

// kv_of_q for n_kv_heads groups of group query heads each: 0,0,..,1,1,...
inline std::vector<int> even_groups(int n_kv_heads, int group) {
  std::vector<int> kv_of_q;
  for (int h = 0; h < n_kv_heads; ++h) kv_of_q.insert(kv_of_q.end(), group, h);
  return kv_of_q;
}

}  // namespace gs::kernels::test
