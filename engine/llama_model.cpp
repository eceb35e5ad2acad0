#include "engine/llama_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/rope_table.h"
#include "common/check.h"

namespace gs {

namespace {
enum StepRow { kTokens, kPositions, kTableRows, kLengths, kLogitRows, kStepRows };
}  // namespace

kernels::BackendLimits backend_limits(const ShardPlan& plan, int rank, const ModelLimits& limits) {
  return {plan.rank(rank).max_q_per_kv(plan.shape()), limits.table_width() * limits.block_size};
}

std::unique_ptr<LlamaModel> LlamaModel::load(const WeightSource& source, const ShardPlan& plan,
                                             TensorChannel& channel, const ModelLimits& limits,
                                             kernels::BackendKind backend, DType weights) {
  std::unique_ptr<kernels::Backend> be =
      kernels::make_backend(backend, backend_limits(plan, channel.rank(), limits));
  LlamaWeights sliced = LlamaWeights::load(source, plan, channel.rank(), *be, weights);
  return std::make_unique<LlamaModel>(source.config(), plan, channel, std::move(be), std::move(sliced), limits);
}

LlamaModel::LlamaModel(const ModelConfig& config, const ShardPlan& plan, TensorChannel& channel,
                       std::unique_ptr<kernels::Backend> backend, LlamaWeights weights,
                       const ModelLimits& limits)
    : config_(config),
      plan_(plan),
      shard_(plan.rank(channel.rank())),
      channel_(channel),
      backend_(std::move(backend)),
      weights_(std::move(weights)),
      limits_(limits) {
  GS_CHECK(plan.tp() == channel.size(), "the ShardPlan is for tp = " << plan.tp() << " but the job has "
                                                                     << channel.size() << " ranks");
  GS_CHECK(limits.capacity >= 1 && limits.capacity <= config.max_seq_len,
           "the KV cache capacity " << limits.capacity << " must be between 1 and the model's "
                                    << config.max_seq_len << " positions");
  GS_CHECK(limits.slots >= 1 && limits.max_step_tokens >= limits.slots,
           "a step must hold at least one token per sequence slot (slots " << limits.slots
                                                                           << ", step tokens "
                                                                           << limits.max_step_tokens << ")");
  GS_CHECK(limits.block_size >= 16 && limits.block_size % 16 == 0 && limits.kv_blocks >= 0 &&
               limits.pool_blocks() <= std::numeric_limits<int>::max(),
           "the KV cache's blocks must hold a positive multiple of 16 positions, at most 2^31 blocks (block size "
               << limits.block_size << ", " << limits.pool_blocks() << " blocks)");
  kernels::Backend& be = *backend_;
  cache_ = be.make_kv_cache({config.n_layers, static_cast<int>(limits.pool_blocks()), limits.block_size,
                             shard_.kv_heads.size(), config.head_dim});
  const RopeTable rope = make_rope_table(config, limits.capacity);
  rope_cos_ = be.upload_copy(rope.cos.data(), rope.cos.size());
  rope_sin_ = be.upload_copy(rope.sin.data(), rope.sin.size());
  std::vector<int> kv_of_q;
  for (int q = 0; q < shard_.q_heads.size(); ++q) kv_of_q.push_back(shard_.local_kv_of_q(q, plan.shape()));
  kv_of_q_ = be.upload_copy(kv_of_q.data(), kv_of_q.size());

  const std::size_t T = limits.max_step_tokens, d = config.head_dim;
  auto floats = [&](std::size_t count) { return be.allocate(count * sizeof(float)); };
  host_step_.resize(kStepRows * T + static_cast<std::size_t>(limits.slots) * limits.table_width());
  step_ints_ = be.allocate(host_step_.size() * sizeof(int));
  x_ = floats(T * config.dim);
  xn_ = floats(T * config.dim);
  q_ = floats(T * shard_.q_heads.size() * d);
  k_ = floats(T * shard_.kv_heads.size() * d);
  v_ = floats(T * shard_.kv_heads.size() * d);
  attn_ = floats(T * shard_.q_heads.size() * d);
  partial_ = floats(T * config.dim);
  gate_ = floats(T * shard_.ffn.size());
  up_ = floats(T * shard_.ffn.size());
  local_logits_ = floats(T * shard_.vocab.size());
  gather_counts_.resize(plan.tp());
  if (channel.rank() == 0) {
    gathered_ = floats(T * config.vocab_size);
    logits_ = floats(T * config.vocab_size);
    greedy_ids_ = be.allocate(T * sizeof(int));
    host_ids_.resize(T);
    if (be.memory_space() != kernels::MemorySpace::host) host_logits_.resize(T * config.vocab_size);
  }
}

void LlamaModel::stage_tables(const StepBatch& batch) {
  const int n = batch.size(), T = limits_.max_step_tokens, W = limits_.table_width();
  const int pool = static_cast<int>(limits_.pool_blocks());
  int* rows = host_step_.data() + kTableRows * T;
  int* tables = host_step_.data() + kStepRows * T;
  std::vector<int>& slots = table_slots_;  // row -> slot
  if (batch.table_slots.empty()) {
    GS_CHECK(pool >= limits_.slots * W,
             "a step without block tables needs every slot's blocks reserved, but the KV cache pool holds "
                 << pool << " blocks, not " << limits_.slots << " slots x " << W);
    slots.clear();
    for (int slot : batch.slots)
      if (std::find(slots.begin(), slots.end(), slot) == slots.end()) slots.push_back(slot);
  } else {
    GS_CHECK(batch.table_width >= 0 && batch.table_width <= W &&
                 batch.tables.size() == batch.table_slots.size() * batch.table_width,
             "a step's block tables are " << batch.table_slots.size() << " rows of " << batch.table_width
                                          << " (" << batch.tables.size() << " entries); at most "
                                          << W << " blocks per sequence");
    slots = batch.table_slots;
  }
  GS_CHECK(slots.size() <= static_cast<std::size_t>(limits_.slots),
           "a step holds " << slots.size() << " sequences, more than the " << limits_.slots << " slots");
  for (std::size_t r = 0; r < slots.size(); ++r) {
    GS_CHECK(slots[r] >= 0 && slots[r] < limits_.slots,
             "KV cache: slot " << slots[r] << " is outside the " << limits_.slots << " slots");
    int* row = tables + r * W;
    std::fill(row, row + W, -1);
    for (int b = 0; b < W; ++b) {
      if (batch.table_slots.empty()) {
        row[b] = slots[r] * W + b;
      } else if (b < batch.table_width) {
        row[b] = batch.tables[r * batch.table_width + b];
      }
    }
  }
  for (int t = 0; t < n; ++t) {
    const auto found = std::find(slots.begin(), slots.end(), batch.slots[t]);
    GS_CHECK(found != slots.end(), "token " << t << " of the step belongs to sequence " << batch.slots[t]
                                            << ", which has no block table in the step");
    rows[t] = static_cast<int>(found - slots.begin());
    // Checked here, on the host: a device backend's kernels cannot report it. The
    // token reads positions 0 .. its own, all in blocks of the pool.
    const int* row = tables + rows[t] * W;
    for (int b = 0; b <= batch.positions[t] / limits_.block_size; ++b)
      GS_CHECK(row[b] >= 0 && row[b] < pool,
               "KV cache: sequence " << batch.slots[t] << " position " << batch.positions[t]
                                     << " needs block " << b << " of its table, which is " << row[b]
                                     << " (the pool has " << pool << " blocks)");
  }
}

void LlamaModel::upload_step(const StepBatch& batch) {
  const int n = batch.size(), T = limits_.max_step_tokens;
  for (int t = 0; t < n; ++t) {
    GS_CHECK(batch.tokens[t] >= 0 && batch.tokens[t] < config_.vocab_size,
             "token id " << batch.tokens[t] << " is outside the vocabulary of " << config_.vocab_size);
    GS_CHECK(batch.positions[t] >= 0 && batch.positions[t] < limits_.capacity,
             "KV cache: position " << batch.positions[t] << " of sequence " << batch.slots[t]
                                   << " is outside its " << limits_.capacity << " positions");
    host_step_[kLengths * T + t] = batch.positions[t] + 1;
  }
  stage_tables(batch);
  std::copy_n(batch.tokens.begin(), n, host_step_.begin() + kTokens * T);
  std::copy_n(batch.positions.begin(), n, host_step_.begin() + kPositions * T);
  for (int row : batch.logit_rows) GS_CHECK(row >= 0 && row < n, "logit row " << row << " is not a token of the step");
  std::copy(batch.logit_rows.begin(), batch.logit_rows.end(), host_step_.begin() + kLogitRows * T);
  // Only the tables the step uses travel.
  const std::size_t used = kStepRows * T + table_slots_.size() * limits_.table_width();
  backend_->upload(step_ints_.data(), host_step_.data(), used * sizeof(int));
}

int LlamaModel::enqueue_step(const StepBatch& batch) {
  const int n = batch.size();
  GS_CHECK(n >= 1 && n <= limits_.max_step_tokens,
           "a step of " << n << " tokens exceeds the step limit of " << limits_.max_step_tokens);
  GS_CHECK(batch.positions.size() == batch.tokens.size() && batch.slots.size() == batch.tokens.size() &&
               batch.logit_rows.size() <= batch.tokens.size(),
           "a step batch's tokens, positions and slots differ in length");
  upload_step(batch);
  const int T = limits_.max_step_tokens, rows = static_cast<int>(batch.logit_rows.size());
  // Decode steps (every token wants logits) repeat in shape, so a backend may record
  // and replay them — when the collectives can be recorded too.
  const bool recordable = n == rows && (channel_.size() == 1 || channel_.stream_ordered());
  backend_->run_step(recordable ? static_cast<std::uint64_t>(n) : 0, [&] {
    backend_->embed(weights_.token_embedding.view(), step_ints_.as<int>() + kTokens * T, n, x_.as<float>());
    for (int l = 0; l < config_.n_layers; ++l) {
      attention_block(l, n);
      mlp_block(l, n);
    }
    lm_head(rows);
  });
  return rows;
}

std::span<const float> LlamaModel::forward(const StepBatch& batch) {
  const int rows = enqueue_step(batch);
  if (channel_.rank() != 0) return {};
  const std::size_t count = static_cast<std::size_t>(rows) * config_.vocab_size;
  if (host_logits_.empty()) return {logits_.as<float>(), count};
  backend_->download(host_logits_.data(), logits_.data(), count * sizeof(float));
  return {host_logits_.data(), count};
}

std::span<const int> LlamaModel::forward_argmax(const StepBatch& batch) {
  const int rows = enqueue_step(batch);
  if (channel_.rank() != 0 || rows == 0) return {};
  backend_->argmax_rows(logits_.as<float>(), rows, config_.vocab_size, greedy_ids_.as<int>());
  backend_->download(host_ids_.data(), greedy_ids_.data(), static_cast<std::size_t>(rows) * sizeof(int));
  return {host_ids_.data(), static_cast<std::size_t>(rows)};
}

void LlamaModel::all_reduce(float* partial, int n) {
  if (channel_.size() == 1) return;
  channel_.all_reduce_sum({partial, static_cast<std::size_t>(n) * config_.dim, DType::f32,
                           backend_->memory_space()},
                          backend_->stream());
}

void LlamaModel::attention_block(int l, int n) {
  const LayerWeights& w = weights_.layers[l];
  const int dim = config_.dim, d = config_.head_dim, T = limits_.max_step_tokens;
  const int q_heads = shard_.q_heads.size(), kv_heads = shard_.kv_heads.size();
  kernels::Backend& be = *backend_;
  const int* ints = step_ints_.as<int>();
  const int* positions = ints + kPositions * T;
  float *x = x_.as<float>(), *xn = xn_.as<float>(), *q = q_.as<float>(), *k = k_.as<float>(),
        *v = v_.as<float>();

  be.rmsnorm(x, w.attn_norm.as<float>(), xn, n, dim, config_.norm_eps);
  be.matmul(xn, w.wq.view(), floats_or_null(w.bq), q, n);
  be.matmul(xn, w.wk.view(), floats_or_null(w.bk), k, n);
  be.matmul(xn, w.wv.view(), floats_or_null(w.bv), v, n);
  be.rope(q, n, q_heads, d, positions, rope_cos_.as<float>(), rope_sin_.as<float>());
  be.rope(k, n, kv_heads, d, positions, rope_cos_.as<float>(), rope_sin_.as<float>());
  const kernels::BlockTables tables{ints + kStepRows * T, limits_.table_width(), ints + kTableRows * T};
  be.store_kv(*cache_, l, {n, k, v, tables, positions});

  kernels::AttentionBatch attention;
  attention.n_tokens = n;
  attention.n_q_heads = q_heads;
  attention.head_dim = d;
  attention.q = q;
  attention.out = attn_.as<float>();
  attention.kv_of_q = kv_of_q_.as<int>();
  attention.tables = tables;
  attention.lengths = ints + kLengths * T;
  attention.scale = 1.0f / std::sqrt(static_cast<float>(d));
  be.attention(attention, *cache_, l);

  // wo holds only this rank's head columns: the product is a partial sum.
  be.matmul(attn_.as<float>(), w.wo.view(), nullptr, partial_.as<float>(), n);
  all_reduce(partial_.as<float>(), n);
  be.add(x, partial_.as<float>(), static_cast<std::size_t>(n) * dim);
}

void LlamaModel::mlp_block(int l, int n) {
  const LayerWeights& w = weights_.layers[l];
  const int dim = config_.dim, ffn = shard_.ffn.size();
  kernels::Backend& be = *backend_;
  float *x = x_.as<float>(), *xn = xn_.as<float>(), *gate = gate_.as<float>(), *up = up_.as<float>();

  be.rmsnorm(x, w.ffn_norm.as<float>(), xn, n, dim, config_.norm_eps);
  be.matmul(xn, w.w_gate.view(), nullptr, gate, n);
  be.matmul(xn, w.w_up.view(), nullptr, up, n);
  be.swiglu(gate, up, gate, static_cast<std::size_t>(n) * ffn);
  be.matmul(gate, w.w_down.view(), nullptr, partial_.as<float>(), n);
  all_reduce(partial_.as<float>(), n);
  be.add(x, partial_.as<float>(), static_cast<std::size_t>(n) * dim);
}

void LlamaModel::lm_head(int rows) {
  if (rows == 0) return;
  const int dim = config_.dim, vocab = config_.vocab_size, local_vocab = shard_.vocab.size();
  const int T = limits_.max_step_tokens;
  kernels::Backend& be = *backend_;
  float* selected = partial_.as<float>();
  be.gather_rows(x_.as<float>(), dim, step_ints_.as<int>() + kLogitRows * T, rows, selected);
  be.rmsnorm(selected, weights_.final_norm.as<float>(), xn_.as<float>(), rows, dim, config_.norm_eps);
  const kernels::WeightMatrix head =
      config_.tied_embeddings ? weights_.token_embedding.view().row_slice(shard_.vocab.begin, local_vocab)
                              : weights_.lm_head.view();
  be.matmul(xn_.as<float>(), head, nullptr, local_logits_.as<float>(), rows);

  const std::size_t local_count = static_cast<std::size_t>(rows) * local_vocab;
  if (channel_.size() == 1) {
    be.copy_columns(local_logits_.as<float>(), rows, local_vocab, logits_.as<float>(), vocab, 0);
    return;
  }
  for (int r = 0; r < channel_.size(); ++r) gather_counts_[r] = rows * plan_.rank(r).vocab.size();
  const kernels::MemorySpace space = be.memory_space();
  channel_.gather({local_logits_.data(), local_count, DType::f32, space},
                  {gathered_.data(), static_cast<std::size_t>(rows) * vocab, DType::f32, space},
                  gather_counts_, 0, be.stream());
  if (channel_.rank() != 0) return;
  // gathered_ is rank-major, (rows, vocab_r) per rank: interleave into (rows, vocab).
  std::size_t offset = 0;
  for (int r = 0; r < channel_.size(); ++r) {
    const IndexRange slice = plan_.rank(r).vocab;
    be.copy_columns(gathered_.as<float>() + offset, rows, slice.size(), logits_.as<float>(), vocab, slice.begin);
    offset += static_cast<std::size_t>(rows) * slice.size();
  }
}

}  // namespace gs
