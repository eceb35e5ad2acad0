#include "engine/model.h"

#include "common/check.h"
#include "engine/sampler.h"

namespace gs {

std::span<const int> Model::forward_argmax(const StepBatch& batch) {
  const std::span<const float> logits = forward(batch);
  argmax_ids_.clear();
  if (logits.empty()) return {};
  const std::size_t vocab = static_cast<std::size_t>(config().vocab_size);
  for (std::size_t row = 0; row < batch.logit_rows.size(); ++row)
    argmax_ids_.push_back(argmax(logits.subspan(row * vocab, vocab)));
  return argmax_ids_;
}

void Model::encode(int, std::span<const int>) {
  GS_FAIL("this model (" << config().architecture << ") has no encoder: it is decoder-only");
}

}  // namespace gs
