// StepBatch: the tokens one forward step runs, as rank 0 schedules them and
// broadcasts them to every rank. Prefill chunks of one sequence and single decode
// tokens of many sequences are the same thing: tokens at (slot, position).
#pragma once

#include <vector>

namespace gs {

struct StepBatch {
  std::vector<int> tokens;      // (n_tokens) token ids
  std::vector<int> positions;   // (n_tokens) position of each token in its sequence
  std::vector<int> slots;       // (n_tokens) KV-cache slot of each token's sequence
  std::vector<int> logit_rows;  // indices into tokens whose logits rank 0 needs, in order

  int size() const { return static_cast<int>(tokens.size()); }
  void clear() {
    tokens.clear();
    positions.clear();
    slots.clear();
    logit_rows.clear();
  }
  void add(int token, int position, int slot, bool want_logits) {
    if (want_logits) logit_rows.push_back(size());
    tokens.push_back(token);
    positions.push_back(position);
    slots.push_back(slot);
  }
};

}  // namespace gs
