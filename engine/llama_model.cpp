#include "engine/llama_model.h"

#include <algorithm>
#include <cmath>

#include "kernels/check.h"

namespace gs {

LlamaModel::LlamaModel(const ModelConfig& config, const ShardPlan& plan, Communicator& comm,
                       LlamaWeights weights, const ModelLimits& limits,
                       kernels::BackendKind backend)
    : config_(config),
      plan_(plan),
      shard_(plan.rank(comm.rank())),
      comm_(comm),
      weights_(std::move(weights)),
      limits_(limits),
      backend_(kernels::make_backend(
          backend, {shard_.max_q_per_kv(plan.shape()), limits.capacity})),
      cache_(config.n_layers, limits.slots, shard_.kv_heads.size(), limits.capacity,
             config.head_dim),
      rope_(make_rope_table(config, limits.capacity)) {
  GS_CHECK(plan.tp() == comm.size(), "the ShardPlan is for tp = " << plan.tp() << " but the job has "
                                                                  << comm.size() << " ranks");
  GS_CHECK(limits.capacity >= 1 && limits.capacity <= config.max_seq_len,
           "the KV cache capacity " << limits.capacity << " must be between 1 and the model's "
                                    << config.max_seq_len << " positions");
  GS_CHECK(limits.slots >= 1 && limits.max_step_tokens >= limits.slots,
           "a step must hold at least one token per sequence slot (slots " << limits.slots
                                                                           << ", step tokens "
                                                                           << limits.max_step_tokens << ")");
  for (int q = 0; q < shard_.q_heads.size(); ++q)
    kv_of_q_.push_back(shard_.local_kv_of_q(q, plan.shape()));

  const std::size_t T = limits.max_step_tokens, d = config.head_dim;
  x_.resize(T * config.dim);
  xn_.resize(T * config.dim);
  q_.resize(T * shard_.q_heads.size() * d);
  k_.resize(T * shard_.kv_heads.size() * d);
  v_.resize(k_.size());
  attn_.resize(q_.size());
  partial_.resize(T * config.dim);
  gate_.resize(T * shard_.ffn.size());
  up_.resize(gate_.size());
  lengths_.resize(T);
  local_logits_.resize(T * shard_.vocab.size());
  gather_counts_.resize(plan.tp());
  if (comm.rank() == 0) {
    gathered_.resize(T * config.vocab_size);
    logits_.resize(T * config.vocab_size);
  }
}

std::span<const float> LlamaModel::forward(const StepBatch& batch) {
  const int n = batch.size();
  GS_CHECK(n >= 1 && n <= limits_.max_step_tokens,
           "a step of " << n << " tokens exceeds the step limit of " << limits_.max_step_tokens);
  const int dim = config_.dim;
  for (int t = 0; t < n; ++t) {
    const int token = batch.tokens[t];
    GS_CHECK(token >= 0 && token < config_.vocab_size,
             "token id " << token << " is outside the vocabulary of " << config_.vocab_size);
    weights_.token_embedding.copy_row(token, x_.data() + static_cast<std::size_t>(t) * dim);
    lengths_[t] = batch.positions[t] + 1;
  }
  for (int l = 0; l < config_.n_layers; ++l) {
    attention_block(l, batch);
    mlp_block(l, n);
  }
  lm_head(batch);
  if (comm_.rank() != 0) return {};
  return {logits_.data(), batch.logit_rows.size() * static_cast<std::size_t>(config_.vocab_size)};
}

void LlamaModel::attention_block(int l, const StepBatch& batch) {
  const LayerWeights& w = weights_.layers[l];
  const int n = batch.size(), dim = config_.dim, d = config_.head_dim;
  const int q_heads = shard_.q_heads.size(), kv_heads = shard_.kv_heads.size();
  kernels::Backend& be = *backend_;

  be.rmsnorm(x_.data(), w.attn_norm.data(), xn_.data(), n, dim, config_.norm_eps);
  be.matmul(xn_.data(), w.wq.view(), w.bq.empty() ? nullptr : w.bq.data(), q_.data(), n);
  be.matmul(xn_.data(), w.wk.view(), w.bk.empty() ? nullptr : w.bk.data(), k_.data(), n);
  be.matmul(xn_.data(), w.wv.view(), w.bv.empty() ? nullptr : w.bv.data(), v_.data(), n);
  be.rope(q_.data(), n, q_heads, d, batch.positions.data(), rope_.cos.data(), rope_.sin.data());
  be.rope(k_.data(), n, kv_heads, d, batch.positions.data(), rope_.cos.data(), rope_.sin.data());
  cache_.store(l, n, batch.slots.data(), batch.positions.data(), k_.data(), v_.data());

  kernels::AttentionBatch attention;
  attention.n_tokens = n;
  attention.n_q_heads = q_heads;
  attention.head_dim = d;
  attention.q = q_.data();
  attention.out = attn_.data();
  attention.kv_of_q = kv_of_q_.data();
  attention.slots = batch.slots.data();
  attention.lengths = lengths_.data();
  attention.scale = 1.0f / std::sqrt(static_cast<float>(d));
  be.attention(attention, cache_.view(l));

  // wo holds only this rank's head columns: the product is a partial sum.
  be.matmul(attn_.data(), w.wo.view(), nullptr, partial_.data(), n);
  const std::span<float> partial(partial_.data(), static_cast<std::size_t>(n) * dim);
  if (comm_.size() > 1) comm_.all_reduce_sum(partial);
  be.add(x_.data(), partial_.data(), partial.size());
}

void LlamaModel::mlp_block(int l, int n) {
  const LayerWeights& w = weights_.layers[l];
  const int dim = config_.dim, ffn = shard_.ffn.size();
  kernels::Backend& be = *backend_;

  be.rmsnorm(x_.data(), w.ffn_norm.data(), xn_.data(), n, dim, config_.norm_eps);
  be.matmul(xn_.data(), w.w_gate.view(), nullptr, gate_.data(), n);
  be.matmul(xn_.data(), w.w_up.view(), nullptr, up_.data(), n);
  be.swiglu(gate_.data(), up_.data(), gate_.data(), static_cast<std::size_t>(n) * ffn);
  be.matmul(gate_.data(), w.w_down.view(), nullptr, partial_.data(), n);
  const std::span<float> partial(partial_.data(), static_cast<std::size_t>(n) * dim);
  if (comm_.size() > 1) comm_.all_reduce_sum(partial);
  be.add(x_.data(), partial_.data(), partial.size());
}

void LlamaModel::lm_head(const StepBatch& batch) {
  const int rows = static_cast<int>(batch.logit_rows.size());
  if (rows == 0) return;
  const int dim = config_.dim, vocab = config_.vocab_size, local_vocab = shard_.vocab.size();
  for (int i = 0; i < rows; ++i)
    std::copy_n(x_.data() + static_cast<std::size_t>(batch.logit_rows[i]) * dim, dim,
                partial_.data() + static_cast<std::size_t>(i) * dim);
  backend_->rmsnorm(partial_.data(), weights_.final_norm.data(), xn_.data(), rows, dim,
                    config_.norm_eps);
  const kernels::WeightMatrix head =
      config_.tied_embeddings ? weights_.token_embedding.view().row_slice(shard_.vocab.begin, local_vocab)
                              : weights_.lm_head.view();
  backend_->matmul(xn_.data(), head, nullptr, local_logits_.data(), rows);

  const std::span<const float> local(local_logits_.data(), static_cast<std::size_t>(rows) * local_vocab);
  if (comm_.size() == 1) {
    std::copy(local.begin(), local.end(), logits_.begin());
    return;
  }
  for (int r = 0; r < comm_.size(); ++r) gather_counts_[r] = rows * plan_.rank(r).vocab.size();
  comm_.gather(local, gathered_, gather_counts_, 0);
  if (comm_.rank() != 0) return;
  // gathered_ is rank-major, (rows, vocab_r) per rank: interleave into (rows, vocab).
  std::size_t offset = 0;
  for (int r = 0; r < comm_.size(); ++r) {
    const IndexRange slice = plan_.rank(r).vocab;
    for (int i = 0; i < rows; ++i)
      std::copy_n(gathered_.data() + offset + static_cast<std::size_t>(i) * slice.size(), slice.size(),
                  logits_.data() + static_cast<std::size_t>(i) * vocab + slice.begin);
    offset += static_cast<std::size_t>(rows) * slice.size();
  }
}

}  // namespace gs
