// T5Model: one rank's part of a T5 encoder-decoder (v1.0, T5.1.1, flan-t5), with
// the paper's GQA in the decoder's self- and cross-attention.
//
// Two ShardPlans: the encoder's (multi-head, G = H) and the decoder's (H query heads
// in G groups, the same rules as decoder-only models: whole groups per rank, the
// least replication when tp > G, uneven deals reported). Each layer is the local
// layer plus one all-reduce per sub-block (after the attention output projection,
// after the feed-forward output), exactly as LlamaModel does; the relative-position
// bias table is sliced to the rank's query heads; the LM head to its vocabulary rows.
//
// encode() runs the whole encoder for one request (every token attends to every
// other, with the bidirectional bias), then computes the cross-attention K/V of the
// rank's own decoder KV groups from the encoder output once and caches them in the
// request's slot for all its decoder steps. forward() is a decoder step: causal
// self-attention with the causal bias, cross-attention over the slot's encoder
// positions (no bias), the feed-forward, and the LM head (input scaled by
// d_model^-0.5 when the embedding is tied, as T5 v1.0 does). No 1/sqrt(d) score
// scaling: T5 folds it into its weights.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "engine/model.h"
#include "engine/stored_matrix.h"
#include "engine/t5/t5_checkpoint.h"
#include "kernels/backend.h"
#include "parallel/shard_plan.h"
#include "parallel/tensor_channel.h"

namespace gs {

struct T5Attention {
  StoredMatrix wq;  // (q_local*d, d_model)
  StoredMatrix wk;  // (kv_local*d, d_model)
  StoredMatrix wv;  // (kv_local*d, d_model)
  StoredMatrix wo;  // (d_model, q_local*d): the columns of this rank's query heads
};

struct T5FeedForward {
  StoredMatrix wi;    // (ffn_local, d_model): wi, or wi_0 when gated
  StoredMatrix wi_1;  // (ffn_local, d_model) when gated, else empty
  StoredMatrix wo;    // (d_model, ffn_local)
};

struct T5Layer {
  kernels::Buffer self_norm;   // (d_model) f32
  T5Attention self;
  kernels::Buffer cross_norm;  // decoder only
  T5Attention cross;           // decoder only
  kernels::Buffer ffn_norm;
  T5FeedForward ffn;
};

struct T5Weights {
  StoredMatrix embedding;  // (vocab, d_model), shared by encoder, decoder and (tied) LM head
  std::vector<T5Layer> encoder, decoder;
  kernels::Buffer encoder_norm;  // (d_model) f32
  kernels::Buffer decoder_norm;  // (d_model) f32, times d_model^-0.5 when the LM head is tied
  StoredMatrix lm_head;          // (vocab_local, d_model); empty when tied
  // Host copies of the relative-attention bias columns of this rank's query heads:
  // (buckets, q_local) each.
  std::vector<float> encoder_bias, decoder_bias;

  static T5Weights load(const T5Checkpoint& checkpoint, const ShardPlan& encoder_plan,
                        const ShardPlan& decoder_plan, int rank, kernels::Backend& backend,
                        DType type = DType::f32);
  std::int64_t bytes() const;
};

// The two plans of a T5 model at tp ranks; throws naming the problem (and the stack).
ShardPlan t5_encoder_plan(const T5Config& config, int tp, ShardStrategy strategy);
ShardPlan t5_decoder_plan(const T5Config& config, int tp, ShardStrategy strategy);

// What a backend for `rank` must be ready for.
kernels::BackendLimits t5_backend_limits(const ShardPlan& encoder_plan, const ShardPlan& decoder_plan, int rank,
                                         const ModelLimits& limits);

class T5Model final : public Model {
 public:
  T5Model(const T5Config& config, const ShardPlan& encoder_plan, const ShardPlan& decoder_plan,
          TensorChannel& channel, std::unique_ptr<kernels::Backend> backend, T5Weights weights,
          const ModelLimits& limits);

  // Makes the backend, copies this rank's slices into it and builds the model.
  static std::unique_ptr<T5Model> load(const T5Checkpoint& checkpoint, TensorChannel& channel,
                                       const ModelLimits& limits, kernels::BackendKind backend,
                                       DType weights = DType::f32,
                                       ShardStrategy strategy = ShardStrategy::group);

  const ModelConfig& config() const override { return decoder_config_; }
  const T5Config& t5_config() const { return config_; }
  const ModelLimits& limits() const override { return limits_; }
  const ShardPlan& plan() const override { return decoder_plan_; }
  const ShardPlan& encoder_plan() const { return encoder_plan_; }
  std::int64_t weight_bytes() const override { return weights_.bytes(); }
  std::int64_t kv_cache_bytes() const override;
  // Bytes of this rank's cross-attention K/V cache (all decoder layers and slots).
  std::int64_t cross_kv_cache_bytes() const { return cross_cache_->bytes(); }
  // Decoder self- plus cross-attention caches (what stays allocated per sequence; the
  // encoder's one-layer cache is scratch of encode()).
  std::int64_t decoder_kv_cache_bytes() const { return self_cache_->bytes() + cross_cache_->bytes(); }

  std::span<const float> forward(const StepBatch& batch) override;
  bool has_encoder() const override { return true; }
  int decoder_start_id() const override { return config_.decoder_start_id; }
  void encode(int slot, std::span<const int> tokens) override;

 private:
  struct Stack {  // what one stack's attention needs in backend memory
    const ShardPlan* plan = nullptr;
    RankShard shard;
    kernels::Buffer kv_of_q;  // (q_local) int
    kernels::Buffer bias;     // (q_local, 2*capacity - 1) f32 by key - query position
  };
  void make_stack(Stack& stack, const ShardPlan& plan, const std::vector<float>& bucket_weights, bool bidirectional);
  void self_attention(const Stack& stack, const T5Layer& w, kernels::KvCache& cache, int cache_layer, int n,
                      const int* slots, const int* positions, const int* lengths);
  void cross_attention(const T5Layer& w, int layer, int n, const int* slots, const int* lengths);
  kernels::AttentionBatch attention_batch(const Stack& stack, int n, const kernels::BlockTables& tables,
                                          const int* lengths);
  void feed_forward(const Stack& stack, const T5Layer& w, int n);
  void all_reduce(float* partial, int n);
  // Block tables that put each token's slot in its reserved run of blocks.
  kernels::BlockTables slot_tables(const int* slots) const;
  void lm_head(int rows);

  T5Config config_;
  ModelConfig decoder_config_;
  ShardPlan encoder_plan_, decoder_plan_;
  TensorChannel& channel_;
  std::unique_ptr<kernels::Backend> backend_;
  T5Weights weights_;
  ModelLimits limits_;
  Stack encoder_, decoder_;
  std::unique_ptr<kernels::KvCache> encoder_cache_;  // one layer, one slot: reused layer by layer
  std::unique_ptr<kernels::KvCache> self_cache_;     // decoder self-attention
  std::unique_ptr<kernels::KvCache> cross_cache_;    // cross-attention K/V of each slot's encoder output
  std::vector<int> encoded_length_;                  // per slot: encoder positions (0 = none yet)
  std::vector<int> gather_counts_;
  std::vector<int> host_step_;     // (6, T)
  std::vector<int> host_encode_;   // (5, capacity)

  // In backend memory.
  kernels::Buffer reserved_tables_;  // (slots, table_width) int: slot s's blocks s·W .. s·W + W-1
  kernels::Buffer step_ints_;    // (6, T): tokens, positions, slots, lengths, logit rows, cross lengths
  kernels::Buffer encode_ints_;  // (5, capacity): tokens, positions, zeros, lengths, slot
  kernels::Buffer x_, xn_, q_, k_, v_, attn_, partial_, gate_, up_;  // (R = max(T, capacity), ...)
  kernels::Buffer encoder_out_;  // (capacity, d_model)
  kernels::Buffer local_logits_, gathered_, logits_;
  std::vector<float> host_logits_;
};

}  // namespace gs
