// Model: what the step executor, the generator, evaluation and bench need from one
// rank's part of a model, whatever its family (engine/model_family.h lists them).
//
// A decoder step is the same for every family: tokens at (slot, position) of a
// StepBatch, logits of the chosen rows back on rank 0. An encoder-decoder family
// (T5) also encodes each request's input once into a slot before its decoder
// steps; decoder-only families have no encoder.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/model_config.h"
#include "engine/model_limits.h"
#include "engine/step_batch.h"
#include "parallel/shard_plan.h"

namespace gs {

class Model {
 public:
  virtual ~Model() = default;

  // The decoder's hyper-parameters: vocabulary, stop ids, widths and positions.
  virtual const ModelConfig& config() const = 0;
  virtual const ModelLimits& limits() const = 0;
  // The decoder's plan (an encoder-decoder model may hold a second one for its encoder).
  virtual const ShardPlan& plan() const = 0;
  virtual std::int64_t weight_bytes() const = 0;
  virtual std::int64_t kv_cache_bytes() const = 0;

  // Runs one decoder step on every rank (all ranks call it with the same batch). On
  // rank 0 returns the logits of batch.logit_rows, (n_logit_rows, vocab), in host
  // memory; elsewhere empty.
  virtual std::span<const float> forward(const StepBatch& batch) = 0;
  // The same step, but rank 0 gets the greedy token of each logit row (argmax,
  // lowest id on ties — Sampler's temperature 0) instead of its logits; elsewhere
  // empty. A device backend picks them where the logits are and sends only the ids
  // to the host. By default: forward, then argmax on the host.
  virtual std::span<const int> forward_argmax(const StepBatch& batch);

  // Encoder-decoder models: encodes `tokens` (at most limits().capacity) for the
  // sequence in `slot`, whose decoder steps then attend to it, starting from
  // decoder_start_id() at position 0. Every rank calls it with the same input.
  virtual bool has_encoder() const { return false; }
  virtual int decoder_start_id() const { return config().bos_id; }
  virtual void encode(int slot, std::span<const int> tokens);

 private:
  std::vector<int> argmax_ids_;  // the default forward_argmax's result
};

}  // namespace gs
