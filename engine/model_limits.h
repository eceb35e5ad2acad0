// ModelLimits: how much one rank's model is sized for — sequences in flight, their
// length, the tokens of one step, and the paged KV cache's pool.
#pragma once

#include <cstdint>

namespace gs {

struct ModelLimits {
  int slots = 1;            // sequences in flight at most (their ids: 0 .. slots-1)
  int capacity = 0;         // positions one sequence may reach (prompt + generated)
  int max_step_tokens = 1;  // tokens per forward step (prefill chunk size)
  int block_size = 16;      // positions per KV-cache block, a multiple of 16
  int kv_blocks = 0;        // blocks in each rank's pool; 0: every slot at full capacity

  // Blocks of a sequence that reaches `capacity` positions.
  int table_width() const { return static_cast<int>((std::int64_t{capacity} + block_size - 1) / block_size); }
  std::int64_t pool_blocks() const { return kv_blocks > 0 ? kv_blocks : std::int64_t{slots} * table_width(); }
};

}  // namespace gs
