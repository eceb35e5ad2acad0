// Teacher-forced evaluation of an encoder-decoder model on (input, target) pairs:
// each input is encoded into slot 0, the decoder is fed its start token and the
// target but its last token, and the logits at every decoder position predict the
// next target token. The figure is the target's mean NLL and perplexity; as the
// log-softmax sums are in double and every rank computes the same logits (within
// float rounding of the all-reduce), it is the same at every tp.
#pragma once

#include <span>
#include <vector>

#include "engine/perplexity.h"
#include "engine/step_executor.h"

namespace gs {

struct Seq2SeqPair {
  std::vector<int> input;   // encoder ids (T5: pieces then EOS)
  std::vector<int> target;  // decoder ids to predict (T5: pieces then EOS)
};

// Rank 0 (the other ranks sit in executor.serve()). Throws gs::Error naming the
// pair when an input or target does not fit the model's limits.
PerplexityResult evaluate_seq2seq(StepExecutor& executor, std::span<const Seq2SeqPair> pairs,
                                  const PerplexityProgress& progress = {});

}  // namespace gs
