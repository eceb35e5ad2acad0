// StepBatch: the tokens one forward step runs, as rank 0 schedules them and
// broadcasts them to every rank. Prefill chunks of one sequence and single decode
// tokens of many sequences are the same thing: tokens at (slot, position).
#pragma once

#include <vector>

namespace gs {

struct StepBatch {
  std::vector<int> tokens;      // (n_tokens) token ids
  std::vector<int> positions;   // (n_tokens) position of each token in its sequence
  std::vector<int> slots;       // (n_tokens) sequence of each token (its KV-cache slot)
  std::vector<int> logit_rows;  // indices into tokens whose logits rank 0 needs, in order
  // The paged KV cache's block tables of the step's sequences (KvBlocks::attach_tables):
  // sequence table_slots[i] keeps its positions in blocks
  // tables[i * table_width, (i + 1) * table_width), in order; unused entries are -1.
  std::vector<int> table_slots;
  std::vector<int> tables;
  int table_width = 0;

  int size() const { return static_cast<int>(tokens.size()); }
  void clear() {
    tokens.clear();
    positions.clear();
    slots.clear();
    logit_rows.clear();
    table_slots.clear();
    tables.clear();
    table_width = 0;
  }
  void add(int token, int position, int slot, bool want_logits) {
    if (want_logits) logit_rows.push_back(size());
    tokens.push_back(token);
    positions.push_back(position);
    slots.push_back(slot);
  }
};

}  // namespace gs
