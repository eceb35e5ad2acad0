// LlamaModel: one rank's part of a decoder-only Llama-family model.
//
// Each layer is the local layer with the rank's head and MLP counts plus two
// all-reduces on the tensor channel (after the attention output projection and
// after the MLP down projection); the LM head computes the rank's vocabulary slice
// and rank 0 gathers the logits. Weights, activations and the KV cache live in the
// backend's memory; activation buffers are sized once for the largest step.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "engine/checkpoint/weight_source.h"
#include "engine/llama_weights.h"
#include "engine/model.h"
#include "engine/model_config.h"
#include "engine/step_batch.h"
#include "kernels/backend.h"
#include "parallel/shard_plan.h"
#include "parallel/tensor_channel.h"

namespace gs {

// What a backend for `rank` of `plan` must be ready for under `limits`.
kernels::BackendLimits backend_limits(const ShardPlan& plan, int rank, const ModelLimits& limits);

class LlamaModel final : public Model {
 public:
  // weights must have been loaded into `backend`.
  LlamaModel(const ModelConfig& config, const ShardPlan& plan, TensorChannel& channel,
             std::unique_ptr<kernels::Backend> backend, LlamaWeights weights, const ModelLimits& limits);

  // Makes the backend, copies this rank's slices out of source into it (the caller
  // may then close source) as `weights`, and builds the model.
  static std::unique_ptr<LlamaModel> load(const WeightSource& source, const ShardPlan& plan,
                                          TensorChannel& channel, const ModelLimits& limits,
                                          kernels::BackendKind backend,
                                          DType weights = DType::f32);

  const ModelConfig& config() const override { return config_; }
  const ModelLimits& limits() const override { return limits_; }
  const ShardPlan& plan() const override { return plan_; }
  std::int64_t weight_bytes() const override { return weights_.bytes(); }
  std::int64_t kv_cache_bytes() const override { return cache_->bytes(); }

  // Runs one step on every rank (all ranks call it with the same batch). On rank 0
  // returns the logits of batch.logit_rows, (n_logit_rows, vocab), in host memory;
  // elsewhere empty. A batch without block tables keeps each slot's positions in
  // its own reserved run of blocks (slot s: blocks s·W .. s·W + W-1, W =
  // limits.table_width()), which needs a pool of slots·W blocks.
  std::span<const float> forward(const StepBatch& batch) override;
  // Rank 0's greedy ids come from the backend's argmax over the logits in its own
  // memory: a device backend downloads one int per row, not the logits.
  std::span<const int> forward_argmax(const StepBatch& batch) override;

 private:
  // Checks and uploads the step and enqueues its ops; returns its logit rows.
  int enqueue_step(const StepBatch& batch);
  void upload_step(const StepBatch& batch);
  // Host block tables of the step, rows of table_width (padded with -1), and each
  // token's row: the batch's own tables, or each slot's reserved blocks.
  void stage_tables(const StepBatch& batch);
  void attention_block(int layer, int n);
  void mlp_block(int layer, int n);
  void all_reduce(float* partial, int n);
  void lm_head(int rows);

  ModelConfig config_;
  ShardPlan plan_;
  RankShard shard_;
  TensorChannel& channel_;
  std::unique_ptr<kernels::Backend> backend_;
  LlamaWeights weights_;
  ModelLimits limits_;
  std::unique_ptr<kernels::KvCache> cache_;
  std::vector<int> gather_counts_;  // per rank: logit floats it contributes
  std::vector<int> host_step_;      // the step's ints (step_ints_), staged for one upload
  std::vector<int> table_slots_;    // the step's sequences, in block-table row order

  // In backend memory.
  kernels::Buffer rope_cos_, rope_sin_;  // (capacity, head_dim / 2)
  kernels::Buffer kv_of_q_;              // (q_local) int: local KV head of each local query head
  // int: (5, T) tokens, positions, table rows, lengths, logit rows; then the
  // step's block tables (slots, table_width).
  kernels::Buffer step_ints_;
  // Activations, (T = max_step_tokens, ...) f32 each.
  kernels::Buffer x_;        // (T, dim) residual stream
  kernels::Buffer xn_;       // (T, dim) normalised
  kernels::Buffer q_;        // (T, q_local*d)
  kernels::Buffer k_;        // (T, kv_local*d)
  kernels::Buffer v_;        // (T, kv_local*d)
  kernels::Buffer attn_;     // (T, q_local*d)
  kernels::Buffer partial_;  // (T, dim) a row-parallel product owed an all-reduce
  kernels::Buffer gate_;     // (T, ffn_local)
  kernels::Buffer up_;       // (T, ffn_local)
  kernels::Buffer local_logits_;  // (T, vocab_local)
  kernels::Buffer gathered_;      // rank 0: (T, vocab) in rank-major order
  kernels::Buffer logits_;        // rank 0: (T, vocab)
  kernels::Buffer greedy_ids_;    // rank 0: (T) int, forward_argmax's
  std::vector<float> host_logits_;  // rank 0, device backends: (T, vocab) downloaded
  std::vector<int> host_ids_;       // rank 0: (T) greedy ids downloaded
};

}  // namespace gs
