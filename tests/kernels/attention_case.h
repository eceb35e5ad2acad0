// A random attention problem for the kernel tests: a paged KV cache of several
// sequences and a batch that mixes a prefill chunk with decode tokens of other
// sequences.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/attention_batch.h"
#include "kernels/cpu/kv_layout.h"
#include "tests/kernels/test_util.h"

namespace gs::kernels::test {

inline constexpr int kCaseSlots = 4;

struct AttentionCase {
  int n_kv_heads = 0, capacity = 0, head_dim = 0, block_size = 16;
  std::vector<int> kv_of_q;         // (n_q_heads)
  std::vector<int> slots, lengths;  // (n_tokens); a slot is its sequence's block-table row
  std::vector<float> q;             // (n_tokens, n_q_heads, head_dim)
  std::vector<int> blocks;          // (kCaseSlots, width()): each slot's pool blocks in order
  std::vector<float> k, v;          // the pool, laid out as KvCacheView

  int n_tokens() const { return int(slots.size()); }
  int n_q_heads() const { return int(kv_of_q.size()); }
  int width() const { return (capacity + block_size - 1) / block_size; }
  int n_blocks() const { return kCaseSlots * width(); }
  int table_positions() const { return width() * block_size; }  // what attention scratch is sized for

  KvCacheView view() const { return {k.data(), v.data(), n_blocks(), block_size, n_kv_heads, head_dim}; }
  // Where element i of position j of slot's KV head h lies in k, and its value row in v.
  std::size_t key_at(int slot, int h, int j, int i) const {
    return view().block_offset(blocks[slot * width() + j / block_size], h) + view().key_index(j % block_size, i);
  }
  std::size_t value_at(int slot, int h, int j) const {
    return view().block_offset(blocks[slot * width() + j / block_size], h) +
           std::size_t(j % block_size) * head_dim;
  }

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
    b.tables = {blocks.data(), width(), slots.data()};
    b.lengths = lengths.data();
    b.scale = 1.0f / std::sqrt(float(head_dim));
    return b;
  }

  // The same problem with the cache in blocks of `size` positions, placed in the
  // pool in a random order drawn from rng; positions no token reads are NaN.
  AttentionCase paged(int size, std::mt19937& rng) const {
    AttentionCase c = *this;
    c.block_size = size;
    c.blocks.resize(c.n_blocks());
    std::iota(c.blocks.begin(), c.blocks.end(), 0);
    std::shuffle(c.blocks.begin(), c.blocks.end(), rng);
    const std::size_t pool = std::size_t(c.n_blocks()) * size * n_kv_heads * head_dim;
    c.k.assign(pool, std::numeric_limits<float>::quiet_NaN());
    c.v.assign(pool, std::numeric_limits<float>::quiet_NaN());
    std::vector<int> readable(kCaseSlots, 0);
    for (int t = 0; t < n_tokens(); ++t) readable[slots[t]] = std::max(readable[slots[t]], lengths[t]);
    for (int s = 0; s < kCaseSlots; ++s)
      for (int h = 0; h < n_kv_heads; ++h)
        for (int j = 0; j < readable[s]; ++j) {
          for (int i = 0; i < head_dim; ++i) c.k[c.key_at(s, h, j, i)] = k[key_at(s, h, j, i)];
          std::copy_n(v.begin() + value_at(s, h, j), head_dim, c.v.begin() + c.value_at(s, h, j));
        }
    return c;
  }
};

// Slot 0: a prefill chunk of every length 1..min(capacity, 12); slot 1: a decode
// token reading the full capacity; slot 2: one of length 1; slot 3: a random one.
// The cache is in blocks of block_size placed in a random order; entries no token
// may read are NaN, so an out-of-range read cannot pass.
inline AttentionCase make_attention_case(std::vector<int> kv_of_q, int n_kv_heads, int head_dim,
                                         int capacity, std::mt19937& rng, int block_size = 16) {
  AttentionCase c;
  c.n_kv_heads = n_kv_heads;
  c.capacity = capacity;
  c.head_dim = head_dim;
  c.kv_of_q = std::move(kv_of_q);
  c.slots = {2};
  c.lengths = {1};
  for (int len = 1; len <= std::min(capacity, 12); ++len) {
    c.slots.push_back(0);
    c.lengths.push_back(len);
  }
  c.slots.insert(c.slots.end(), {1, 3});
  c.lengths.insert(c.lengths.end(), {capacity, std::uniform_int_distribution<int>(1, capacity)(rng)});
  c.q = random_floats(std::size_t(c.n_tokens()) * c.n_q_heads() * head_dim, rng);
  // Random keys and values everywhere, then relaid with the unread ones NaN.
  c.blocks.resize(c.n_blocks());
  std::iota(c.blocks.begin(), c.blocks.end(), 0);
  const std::size_t pool = std::size_t(c.n_blocks()) * c.block_size * n_kv_heads * head_dim;
  c.k = random_floats(pool, rng);
  c.v = random_floats(pool, rng);
  return c.paged(block_size, rng);
}

// kv_of_q for n_kv_heads groups of group query heads each: 0,0,..,1,1,...
inline std::vector<int> even_groups(int n_kv_heads, int group) {
  std::vector<int> kv_of_q;
  for (int h = 0; h < n_kv_heads; ++h) kv_of_q.insert(kv_of_q.end(), group, h);
  return kv_of_q;
}

}  // namespace gs::kernels::test
