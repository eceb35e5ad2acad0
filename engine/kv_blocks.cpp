#include "engine/kv_blocks.h"

#include <algorithm>

#include "common/check.h"

namespace gs {

namespace {
// The hash of a prefix extended by one block's tokens (splitmix64 finalizer per token).
std::uint64_t extend_hash(std::uint64_t hash, std::span<const int> tokens) {
  for (int t : tokens) {
    std::uint64_t z = hash + 0x9e3779b97f4a7c15ULL + static_cast<std::uint32_t>(t);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    hash = z ^ (z >> 31);
  }
  return hash;
}
}  // namespace

KvBlocks::KvBlocks(int n_blocks, int block_size, int sequences, int max_length, bool prefix_caching)
    : block_size_(block_size),
      max_length_(max_length),
      prefix_caching_(prefix_caching),
      blocks_(n_blocks),
      tables_(sequences),
      hashed_(sequences, 0),
      chain_(sequences, 0),
      open_(sequences, false) {
  GS_CHECK(block_size >= 16 && block_size % 16 == 0,
           "the KV block size must be a positive multiple of 16 positions, got " << block_size);
  GS_CHECK(n_blocks >= 1 && sequences >= 1 && max_length >= 1,
           "a KV cache needs at least one block, sequence and position (blocks "
               << n_blocks << ", sequences " << sequences << ", positions " << max_length << ")");
  for (int b = n_blocks - 1; b >= 0; --b) free_.push_back(b);
}

int KvBlocks::open(int seq, std::span<const int> prompt) {
  GS_CHECK(seq >= 0 && seq < sequences() && !open_[seq],
           "KV cache: sequence " << seq << " is already open or out of range");
  open_[seq] = true;
  hashed_[seq] = 0;
  chain_[seq] = 0;
  if (!prefix_caching_ || prompt.empty()) return 0;
  // Whole blocks only, and never the last prompt token: its logits are needed.
  const int shareable = static_cast<int>(prompt.size() - 1) / block_size_;
  std::uint64_t hash = 0;
  for (int b = 0; b < shareable; ++b) {
    const std::span<const int> tokens = prompt.subspan(b * block_size_, block_size_);
    hash = extend_hash(hash, tokens);
    const auto found = by_hash_.find(hash);
    if (found == by_hash_.end()) break;
    Block& block = blocks_[found->second];
    if (!std::equal(tokens.begin(), tokens.end(), block.tokens.begin(), block.tokens.end())) break;
    if (block.refs++ == 0) cached_.erase(block.lru);
    tables_[seq].push_back(found->second);
    hashed_[seq] = b + 1;
    chain_[seq] = hash;
  }
  return hashed_[seq] * block_size_;
}

int KvBlocks::shortfall(int seq, int length) const {
  const int needed = (length + block_size_ - 1) / block_size_ - static_cast<int>(tables_[seq].size());
  return std::max(0, needed - reusable_blocks());
}

bool KvBlocks::grow(int seq, int length) {
  GS_CHECK(open_[seq], "KV cache: sequence " << seq << " is not open");
  GS_CHECK(length <= max_length_, "KV cache: sequence " << seq << " would reach " << length
                                                        << " positions, beyond " << max_length_);
  if (shortfall(seq, length) > 0) return false;
  while (static_cast<int>(tables_[seq].size()) * block_size_ < length) tables_[seq].push_back(take_block());
  return true;
}

void KvBlocks::computed(int seq, std::span<const int> tokens) {
  if (!prefix_caching_) return;
  const int full = static_cast<int>(tokens.size()) / block_size_;
  GS_CHECK(full <= static_cast<int>(tables_[seq].size()),
           "KV cache: sequence " << seq << " computed more positions than it has room for");
  for (int b = hashed_[seq]; b < full; ++b) {
    const std::span<const int> block_tokens = tokens.subspan(b * block_size_, block_size_);
    chain_[seq] = extend_hash(chain_[seq], block_tokens);
    hashed_[seq] = b + 1;
    // An identical block computed by another sequence at the same time stays the one
    // remembered; this copy is freed with its sequence.
    if (by_hash_.contains(chain_[seq])) continue;
    Block& block = blocks_[tables_[seq][b]];
    block.remembered = true;
    block.hash = chain_[seq];
    block.tokens.assign(block_tokens.begin(), block_tokens.end());
    by_hash_[block.hash] = tables_[seq][b];
  }
}

void KvBlocks::close(int seq) {
  GS_CHECK(open_[seq], "KV cache: sequence " << seq << " is not open");
  for (int b : tables_[seq]) release(b);
  tables_[seq].clear();
  open_[seq] = false;
}

int KvBlocks::take_block() {
  int b;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else {
    b = cached_.front();
    cached_.pop_front();
    forget(b);
  }
  blocks_[b].refs = 1;
  return b;
}

void KvBlocks::release(int b) {
  Block& block = blocks_[b];
  if (--block.refs > 0) return;
  if (block.remembered) {
    block.lru = cached_.insert(cached_.end(), b);
  } else {
    free_.push_back(b);
  }
}

void KvBlocks::forget(int b) {
  Block& block = blocks_[b];
  by_hash_.erase(block.hash);
  block.remembered = false;
  block.tokens.clear();
}

KvBlockUsage KvBlocks::usage() const {
  const int total = static_cast<int>(blocks_.size());
  const int cached = static_cast<int>(cached_.size());
  return {total, total - static_cast<int>(free_.size()) - cached, cached};
}

void KvBlocks::attach_tables(StepBatch& batch) const {
  batch.table_slots.clear();
  batch.tables.clear();
  int width = 0;
  for (int slot : batch.slots) {
    if (std::find(batch.table_slots.begin(), batch.table_slots.end(), slot) != batch.table_slots.end())
      continue;
    GS_CHECK(slot >= 0 && slot < sequences() && open_[slot],
             "a step holds a token of sequence " << slot << ", which is not open in the KV cache");
    batch.table_slots.push_back(slot);
    width = std::max(width, static_cast<int>(tables_[slot].size()));
  }
  batch.table_width = width;
  batch.tables.assign(batch.table_slots.size() * width, -1);
  for (std::size_t i = 0; i < batch.table_slots.size(); ++i) {
    const std::vector<int>& table = tables_[batch.table_slots[i]];
    std::copy(table.begin(), table.end(), batch.tables.begin() + i * width);
  }
}

}  // namespace gs
