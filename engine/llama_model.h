// LlamaModel: one rank's part of a decoder-only Llama-family model.
//
// Each layer is the local layer with the rank's head and MLP counts plus two
// all-reduces (after the attention output projection and after the MLP down
// projection); the LM head computes the rank's vocabulary slice and rank 0 gathers
// the logits. All activation buffers are sized once for the largest step.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/llama_weights.h"
#include "engine/model_config.h"
#include "engine/rope_table.h"
#include "engine/step_batch.h"
#include "kernels/backend.h"
#include "parallel/communicator.h"
#include "parallel/shard_plan.h"

namespace gs {

struct ModelLimits {
  int slots = 1;            // sequences in flight (KV-cache slots)
  int capacity = 0;         // positions per sequence (prompt + generated)
  int max_step_tokens = 1;  // tokens per forward step (prefill chunk size)
};

class LlamaModel {
 public:
  LlamaModel(const ModelConfig& config, const ShardPlan& plan, Communicator& comm,
             LlamaWeights weights, const ModelLimits& limits, kernels::BackendKind backend);

  const ModelConfig& config() const { return config_; }
  const ModelLimits& limits() const { return limits_; }
  const ShardPlan& plan() const { return plan_; }
  std::int64_t weight_bytes() const { return weights_.bytes(); }
  std::int64_t kv_cache_bytes() const { return cache_.bytes(); }

  // Runs one step on every rank (all ranks call it with the same batch). On rank 0
  // returns the logits of batch.logit_rows, (n_logit_rows, vocab); elsewhere empty.
  std::span<const float> forward(const StepBatch& batch);

 private:
  void attention_block(int layer, const StepBatch& batch);
  void mlp_block(int layer, int n);
  void lm_head(const StepBatch& batch);

  ModelConfig config_;
  ShardPlan plan_;
  RankShard shard_;
  Communicator& comm_;
  LlamaWeights weights_;
  ModelLimits limits_;
  std::unique_ptr<kernels::Backend> backend_;
  KvCache cache_;
  RopeTable rope_;
  std::vector<int> kv_of_q_;  // (q_local) local KV head of each local query head
  std::vector<int> gather_counts_;  // per rank: logit floats it contributes

  // Activations, (max_step_tokens, ...) each.
  std::vector<float> x_;        // (T, dim) residual stream
  std::vector<float> xn_;       // (T, dim) normalised
  std::vector<float> q_;        // (T, q_local*d)
  std::vector<float> k_;        // (T, kv_local*d)
  std::vector<float> v_;        // (T, kv_local*d)
  std::vector<float> attn_;     // (T, q_local*d)
  std::vector<float> partial_;  // (T, dim) a row-parallel product owed an all-reduce
  std::vector<float> gate_;     // (T, ffn_local)
  std::vector<float> up_;       // (T, ffn_local)
  std::vector<int> lengths_;    // (T) attended positions per token
  std::vector<float> local_logits_;   // (T, vocab_local)
  std::vector<float> gathered_;       // rank 0: (T, vocab) in rank-major order
  std::vector<float> logits_;         // rank 0: (T, vocab)
};

}  // namespace gs
