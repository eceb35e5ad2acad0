// KvBlocks: rank 0's account of the paged KV cache (vLLM's PagedAttention idea).
//
// Every rank's cache is a pool of fixed-size blocks of positions (for that rank's own
// KV groups); a sequence's positions live in the blocks its block table lists, in
// order. Rank 0 alone decides which blocks a sequence gets — here — and every step
// carries the tables of its sequences, so all ranks read and write the same blocks.
//
// Blocks are allocated as tokens arrive (grow). With prefix caching, a block whose
// positions are all computed is remembered by the hash of the whole prefix up to its
// end; a later sequence with an identical prefix shares it (reference-counted)
// instead of recomputing it. A shared block is never written again: only full
// blocks are shared, and a sequence always computes at least its last prompt token.
// When no sequence holds a remembered block any more it stays cached until its room
// is needed (least recently released first).
#pragma once

#include <cstdint>
#include <list>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/model_limits.h"
#include "engine/step_batch.h"

namespace gs {

struct KvBlockUsage {
  int total = 0;
  int used = 0;    // held by at least one sequence
  int cached = 0;  // held by none, remembered for prefix sharing (reusable room)
  int free() const { return total - used; }
};

class KvBlocks {
 public:
  // sequences: ids 0 .. sequences-1 (the step's `slots`); max_length: positions one
  // sequence may reach; block_size: a multiple of 16 (the CPU key tile).
  KvBlocks(int n_blocks, int block_size, int sequences, int max_length, bool prefix_caching);
  // The account of a model's pool: limits.slots sequences of up to limits.capacity positions.
  KvBlocks(const ModelLimits& limits, bool prefix_caching)
      : KvBlocks(static_cast<int>(limits.pool_blocks()), limits.block_size, limits.slots, limits.capacity, prefix_caching) {}

  int block_size() const { return block_size_; }
  int sequences() const { return static_cast<int>(tables_.size()); }
  int max_length() const { return max_length_; }
  // Entries of a full block table: blocks of a sequence of max_length positions.
  int table_width() const { return (max_length_ + block_size_ - 1) / block_size_; }

  // Opens `seq` (not open) for a sequence starting with `prompt`. Returns how many of
  // its leading positions are already in the cache (shared full blocks, at most
  // prompt.size() - 1): the caller grows the sequence to the prompt's length (and
  // closes it again if that fails) and prefills from there.
  int open(int seq, std::span<const int> prompt);
  // Room for positions [0, length) of open sequence `seq`. False, with nothing
  // changed, when there are not enough free blocks.
  bool grow(int seq, int length);
  // Blocks grow(seq, length) would need beyond the free ones (0: it would succeed).
  int shortfall(int seq, int length) const;
  // tokens = the sequence's tokens at positions [0, tokens.size()), all computed:
  // its full blocks become shareable.
  void computed(int seq, std::span<const int> tokens);
  // Releases the sequence's blocks (remembered ones stay cached).
  void close(int seq);
  bool is_open(int seq) const { return open_[seq]; }

  std::span<const int> table(int seq) const { return tables_[seq]; }
  KvBlockUsage usage() const;

  // Writes the block tables of the sequences in batch.slots into batch.tables.
  void attach_tables(StepBatch& batch) const;

 private:
  struct Block {
    int refs = 0;
    std::uint64_t hash = 0;  // of the prefix ending with this block; valid when remembered
    bool remembered = false;
    std::vector<int> tokens;  // this block's tokens, checked on a hash match
    std::list<int>::iterator lru;  // position in cached_ when refs == 0 and remembered
  };

  int take_block();  // a free block, evicting the least recently cached one if needed
  void release(int block);
  void forget(int block);
  int reusable_blocks() const { return static_cast<int>(free_.size() + cached_.size()); }

  int block_size_;
  int max_length_;
  bool prefix_caching_;
  std::vector<Block> blocks_;
  std::vector<int> free_;       // blocks holding nothing
  std::list<int> cached_;       // remembered blocks no sequence holds, oldest first
  std::unordered_map<std::uint64_t, int> by_hash_;
  std::vector<std::vector<int>> tables_;  // per sequence
  std::vector<int> hashed_;               // per sequence: leading blocks already remembered
  std::vector<std::uint64_t> chain_;      // per sequence: hash of its first hashed_ blocks
  std::vector<bool> open_;
};

}  // namespace gs
