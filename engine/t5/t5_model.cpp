#include "engine/t5/t5_model.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace gs {

namespace {

enum StepRow { kTokens, kPositions, kSlots, kLengths, kLogitRows, kCrossLengths, kStepRows };
enum EncodeRow { kEncTokens, kEncPositions, kEncZeros, kEncLengths, kEncSlot, kEncodeRows };

// rows x cols.size() matrix whose row i is columns cols of row row_begin + i of t.
StoredMatrix load_block(kernels::Backend& backend, const TensorView& t, IndexRange rows, IndexRange cols,
                        DType type) {
  StoredMatrix m(backend, type, rows.size(), cols.size());
  std::vector<float> row(cols.size());
  for (int i = 0; i < rows.size(); ++i) {
    read_row_f32(t, rows.begin + i, cols.begin, cols.end, row.data());
    m.set_row(i, row.data());
  }
  return m;
}

IndexRange all_rows(const TensorView& t) { return {0, static_cast<int>(t.rows())}; }
IndexRange all_cols(const TensorView& t) { return {0, static_cast<int>(t.cols())}; }
IndexRange head_span(IndexRange heads, int d) { return {heads.begin * d, heads.end * d}; }

kernels::Buffer load_vector(kernels::Backend& backend, const TensorView& t, float scale = 1.0f) {
  std::vector<float> out(t.rows());
  read_row_f32(t, 0, 0, t.rows(), out.data());
  for (float& v : out) v *= scale;
  return backend.upload_copy(out.data(), out.size());
}

T5Attention load_attention(const T5Checkpoint& c, const std::string& stack, int l, bool cross, const RankShard& s,
                           kernels::Backend& be, DType type) {
  const int d = c.config().d_kv;
  auto t = [&](const char* proj) -> const TensorView& {
    return c.tensor(T5Checkpoint::attention_name(stack, l, cross, proj));
  };
  T5Attention a;
  a.wq = load_block(be, t("q"), head_span(s.q_heads, d), all_cols(t("q")), type);
  a.wk = load_block(be, t("k"), head_span(s.kv_heads, d), all_cols(t("k")), type);
  a.wv = load_block(be, t("v"), head_span(s.kv_heads, d), all_cols(t("v")), type);
  a.wo = load_block(be, t("o"), all_rows(t("o")), head_span(s.q_heads, d), type);
  return a;
}

T5FeedForward load_ffn(const T5Checkpoint& c, const std::string& stack, int l, const RankShard& s,
                       kernels::Backend& be, DType type) {
  auto t = [&](const char* proj) -> const TensorView& { return c.tensor(T5Checkpoint::ffn_name(stack, l, proj)); };
  T5FeedForward f;
  const char* wi = c.config().gated ? "wi_0" : "wi";
  f.wi = load_block(be, t(wi), s.ffn, all_cols(t(wi)), type);
  if (c.config().gated) f.wi_1 = load_block(be, t("wi_1"), s.ffn, all_cols(t("wi_1")), type);
  f.wo = load_block(be, t("wo"), all_rows(t("wo")), s.ffn, type);
  return f;
}

std::vector<float> load_bias_columns(const TensorView& t, IndexRange heads) {
  std::vector<float> out(static_cast<std::size_t>(t.rows()) * heads.size());
  for (std::int64_t b = 0; b < t.rows(); ++b)
    read_row_f32(t, b, heads.begin, heads.end, out.data() + b * heads.size());
  return out;
}

ShardPlan plan_for(const ModelShape& shape, int tp, ShardStrategy strategy, const char* what) {
  try {
    return ShardPlan::make(shape, tp, strategy);
  } catch (const Error& e) {
    throw Error(std::string("T5 ") + what + ": " + e.what(), e.where());
  }
}

}  // namespace

ShardPlan t5_encoder_plan(const T5Config& config, int tp, ShardStrategy strategy) {
  return plan_for(config.encoder_shape(), tp, strategy, "encoder (multi-head)");
}

ShardPlan t5_decoder_plan(const T5Config& config, int tp, ShardStrategy strategy) {
  return plan_for(config.decoder_shape(), tp, strategy, "decoder self- and cross-attention");
}

kernels::BackendLimits t5_backend_limits(const ShardPlan& encoder_plan, const ShardPlan& decoder_plan, int rank,
                                         const ModelLimits& limits) {
  return {std::max(encoder_plan.rank(rank).max_q_per_kv(encoder_plan.shape()),
                   decoder_plan.rank(rank).max_q_per_kv(decoder_plan.shape())),
          limits.table_width() * limits.block_size};
}

T5Weights T5Weights::load(const T5Checkpoint& c, const ShardPlan& encoder_plan, const ShardPlan& decoder_plan,
                          int rank, kernels::Backend& be, DType type) {
  const T5Config& config = c.config();
  const RankShard& es = encoder_plan.rank(rank);
  const RankShard& ds = decoder_plan.rank(rank);
  T5Weights w;
  w.embedding = load_block(be, c.embedding(), all_rows(c.embedding()), all_cols(c.embedding()), type);
  w.encoder.resize(config.n_encoder_layers);
  for (int l = 0; l < config.n_encoder_layers; ++l) {
    T5Layer& layer = w.encoder[l];
    layer.self_norm = load_vector(be, c.tensor(T5Checkpoint::norm_name("encoder", l, 0)));
    layer.self = load_attention(c, "encoder", l, false, es, be, type);
    layer.ffn_norm = load_vector(be, c.tensor(T5Checkpoint::norm_name("encoder", l, 1)));
    layer.ffn = load_ffn(c, "encoder", l, es, be, type);
  }
  w.decoder.resize(config.n_decoder_layers);
  for (int l = 0; l < config.n_decoder_layers; ++l) {
    T5Layer& layer = w.decoder[l];
    layer.self_norm = load_vector(be, c.tensor(T5Checkpoint::norm_name("decoder", l, 0)));
    layer.self = load_attention(c, "decoder", l, false, ds, be, type);
    layer.cross_norm = load_vector(be, c.tensor(T5Checkpoint::norm_name("decoder", l, 1)));
    layer.cross = load_attention(c, "decoder", l, true, ds, be, type);
    layer.ffn_norm = load_vector(be, c.tensor(T5Checkpoint::norm_name("decoder", l, 2)));
    layer.ffn = load_ffn(c, "decoder", l, ds, be, type);
  }
  w.encoder_norm = load_vector(be, c.tensor("encoder.final_layer_norm.weight"));
  // Tied: HF scales the decoder output by d_model^-0.5 before the LM head; folded
  // into the final norm's weight here (the norm's output is only used by the head).
  const float head_scale = config.tied_embeddings ? 1.0f / std::sqrt(static_cast<float>(config.d_model)) : 1.0f;
  w.decoder_norm = load_vector(be, c.tensor("decoder.final_layer_norm.weight"), head_scale);
  if (!config.tied_embeddings) {
    const TensorView& head = c.tensor("lm_head.weight");
    w.lm_head = load_block(be, head, ds.vocab, all_cols(head), type);
  }
  w.encoder_bias = load_bias_columns(c.tensor(T5Checkpoint::relative_bias_name("encoder")), es.q_heads);
  w.decoder_bias = load_bias_columns(c.tensor(T5Checkpoint::relative_bias_name("decoder")), ds.q_heads);
  return w;
}

std::int64_t T5Weights::bytes() const {
  std::int64_t total = embedding.bytes() + lm_head.bytes() + encoder_norm.bytes() + decoder_norm.bytes() +
                       static_cast<std::int64_t>((encoder_bias.size() + decoder_bias.size()) * sizeof(float));
  for (const auto* stack : {&encoder, &decoder})
    for (const T5Layer& l : *stack) {
      for (const T5Attention* a : {&l.self, &l.cross}) total += a->wq.bytes() + a->wk.bytes() + a->wv.bytes() + a->wo.bytes();
      total += l.ffn.wi.bytes() + l.ffn.wi_1.bytes() + l.ffn.wo.bytes();
      for (const kernels::Buffer* v : {&l.self_norm, &l.cross_norm, &l.ffn_norm}) total += v->bytes();
    }
  return total;
}

std::unique_ptr<T5Model> T5Model::load(const T5Checkpoint& checkpoint, TensorChannel& channel,
                                       const ModelLimits& limits, kernels::BackendKind backend,
                                       DType weights, ShardStrategy strategy) {
  const ShardPlan encoder = t5_encoder_plan(checkpoint.config(), channel.size(), strategy);
  const ShardPlan decoder = t5_decoder_plan(checkpoint.config(), channel.size(), strategy);
  std::unique_ptr<kernels::Backend> be =
      kernels::make_backend(backend, t5_backend_limits(encoder, decoder, channel.rank(), limits));
  T5Weights sliced = T5Weights::load(checkpoint, encoder, decoder, channel.rank(), *be, weights);
  return std::make_unique<T5Model>(checkpoint.config(), encoder, decoder, channel, std::move(be), std::move(sliced),
                                   limits);
}

T5Model::T5Model(const T5Config& config, const ShardPlan& encoder_plan, const ShardPlan& decoder_plan,
                 TensorChannel& channel, std::unique_ptr<kernels::Backend> backend, T5Weights weights,
                 const ModelLimits& limits)
    : config_(config),
      decoder_config_(config.decoder_config()),
      encoder_plan_(encoder_plan),
      decoder_plan_(decoder_plan),
      channel_(channel),
      backend_(std::move(backend)),
      weights_(std::move(weights)),
      limits_(limits) {
  GS_CHECK(encoder_plan.tp() == channel.size() && decoder_plan.tp() == channel.size(),
           "the T5 ShardPlans are for tp = " << decoder_plan.tp() << " but the job has " << channel.size() << " ranks");
  GS_CHECK(limits.capacity >= 1 && limits.capacity <= config.max_positions,
           "the KV cache capacity " << limits.capacity << " must be between 1 and the model's " << config.max_positions
                                    << " positions");
  GS_CHECK(limits.slots >= 1 && limits.max_step_tokens >= limits.slots,
           "a step must hold at least one token per sequence slot (slots " << limits.slots << ", step tokens "
                                                                           << limits.max_step_tokens << ")");
  kernels::Backend& be = *backend_;
  const int C = limits.capacity, T = limits.max_step_tokens, R = std::max(C, T), d = config.d_kv;
  make_stack(encoder_, encoder_plan_, weights_.encoder_bias, true);
  make_stack(decoder_, decoder_plan_, weights_.decoder_bias, false);
  // Every slot keeps its positions in its own run of W blocks (slot s: blocks s·W ..),
  // the encoder's one sequence in blocks 0 .. W-1: T5 reads no block tables from
  // the step, so its pools hold every slot at full capacity.
  const int W = limits.table_width(), B = limits.block_size;
  std::vector<int> reserved(static_cast<std::size_t>(limits.slots) * W);
  for (std::size_t i = 0; i < reserved.size(); ++i) reserved[i] = static_cast<int>(i);
  reserved_tables_ = be.upload_copy(reserved.data(), reserved.size());
  encoder_cache_ = be.make_kv_cache({1, W, B, encoder_.shard.kv_heads.size(), d});
  self_cache_ = be.make_kv_cache({config.n_decoder_layers, limits.slots * W, B, decoder_.shard.kv_heads.size(), d});
  cross_cache_ = be.make_kv_cache({config.n_decoder_layers, limits.slots * W, B, decoder_.shard.kv_heads.size(), d});
  encoded_length_.assign(limits.slots, 0);

  const std::size_t q_local = std::max(encoder_.shard.q_heads.size(), decoder_.shard.q_heads.size());
  const std::size_t kv_local = std::max(encoder_.shard.kv_heads.size(), decoder_.shard.kv_heads.size());
  const std::size_t ffn_local = std::max(encoder_.shard.ffn.size(), decoder_.shard.ffn.size());
  auto floats = [&](std::size_t count) { return be.allocate(count * sizeof(float)); };
  host_step_.assign(kStepRows * T, 0);
  step_ints_ = be.allocate(host_step_.size() * sizeof(int));
  host_encode_.assign(kEncodeRows * C, 0);
  encode_ints_ = be.allocate(host_encode_.size() * sizeof(int));
  x_ = floats(R * config.d_model);
  xn_ = floats(R * config.d_model);
  q_ = floats(R * q_local * d);
  k_ = floats(R * kv_local * d);
  v_ = floats(R * kv_local * d);
  attn_ = floats(R * q_local * d);
  partial_ = floats(R * config.d_model);
  gate_ = floats(R * ffn_local);
  up_ = floats(R * ffn_local);
  encoder_out_ = floats(static_cast<std::size_t>(C) * config.d_model);
  local_logits_ = floats(static_cast<std::size_t>(T) * decoder_.shard.vocab.size());
  gather_counts_.resize(channel.size());
  if (channel.rank() == 0) {
    gathered_ = floats(static_cast<std::size_t>(T) * config.vocab_size);
    logits_ = floats(static_cast<std::size_t>(T) * config.vocab_size);
    if (be.memory_space() != kernels::MemorySpace::host) host_logits_.resize(T * config.vocab_size);
  }
}

void T5Model::make_stack(Stack& stack, const ShardPlan& plan, const std::vector<float>& bucket_weights,
                         bool bidirectional) {
  stack.plan = &plan;
  stack.shard = plan.rank(channel_.rank());
  const int q_local = stack.shard.q_heads.size();
  std::vector<int> kv_of_q;
  for (int q = 0; q < q_local; ++q) kv_of_q.push_back(stack.shard.local_kv_of_q(q, plan.shape()));
  stack.kv_of_q = backend_->upload_copy(kv_of_q.data(), kv_of_q.size());
  // bias[h][C - 1 + r] = weight of bucket(r) for local head h, r = key - query position.
  const int C = limits_.capacity, stride = 2 * C - 1;
  std::vector<float> table(static_cast<std::size_t>(q_local) * stride);
  for (int r = -(C - 1); r <= C - 1; ++r) {
    const int bucket =
        t5_relative_position_bucket(r, bidirectional, config_.relative_buckets, config_.relative_max_distance);
    for (int h = 0; h < q_local; ++h)
      table[static_cast<std::size_t>(h) * stride + C - 1 + r] = bucket_weights[static_cast<std::size_t>(bucket) * q_local + h];
  }
  stack.bias = backend_->upload_copy(table.data(), table.size());
}

kernels::BlockTables T5Model::slot_tables(const int* slots) const {
  return {reserved_tables_.as<int>(), limits_.table_width(), slots};
}

std::int64_t T5Model::kv_cache_bytes() const {
  return encoder_cache_->bytes() + self_cache_->bytes() + cross_cache_->bytes();
}

void T5Model::all_reduce(float* partial, int n) {
  if (channel_.size() == 1) return;
  channel_.all_reduce_sum({partial, static_cast<std::size_t>(n) * config_.d_model, DType::f32,
                           backend_->memory_space()},
                          backend_->stream());
}

void T5Model::self_attention(const Stack& stack, const T5Layer& w, kernels::KvCache& cache, int cache_layer, int n,
                             const int* slots, const int* positions, const int* lengths) {
  kernels::Backend& be = *backend_;
  const int dm = config_.d_model;
  float *x = x_.as<float>(), *xn = xn_.as<float>(), *q = q_.as<float>(), *k = k_.as<float>(), *v = v_.as<float>();
  be.rmsnorm(x, w.self_norm.as<float>(), xn, n, dm, config_.norm_eps);
  be.matmul(xn, w.self.wq.view(), nullptr, q, n);
  be.matmul(xn, w.self.wk.view(), nullptr, k, n);
  be.matmul(xn, w.self.wv.view(), nullptr, v, n);
  const kernels::BlockTables tables = slot_tables(slots);
  be.store_kv(cache, cache_layer, {n, k, v, tables, positions});

  kernels::AttentionBatch a = attention_batch(stack, n, tables, lengths);
  a.position_bias = stack.bias.as<float>();
  a.position_bias_stride = 2 * limits_.capacity - 1;
  a.position_bias_offset = limits_.capacity - 1;
  a.positions = positions;
  be.attention(a, cache, cache_layer);

  be.matmul(attn_.as<float>(), w.self.wo.view(), nullptr, partial_.as<float>(), n);
  all_reduce(partial_.as<float>(), n);
  be.add(x, partial_.as<float>(), static_cast<std::size_t>(n) * dm);
}

// The attention of n tokens of a stack, queries in q_, output in attn_; T5 does
// not scale scores (its weights absorb 1/sqrt(d_kv)).
kernels::AttentionBatch T5Model::attention_batch(const Stack& stack, int n, const kernels::BlockTables& tables,
                                                 const int* lengths) {
  kernels::AttentionBatch a;
  a.n_tokens = n;
  a.n_q_heads = stack.shard.q_heads.size();
  a.head_dim = config_.d_kv;
  a.q = q_.as<float>();
  a.out = attn_.as<float>();
  a.kv_of_q = stack.kv_of_q.as<int>();
  a.tables = tables;
  a.lengths = lengths;
  a.scale = 1.0f;
  return a;
}

void T5Model::cross_attention(const T5Layer& w, int layer, int n, const int* slots, const int* lengths) {
  kernels::Backend& be = *backend_;
  const int dm = config_.d_model;
  float *x = x_.as<float>(), *xn = xn_.as<float>(), *q = q_.as<float>();
  be.rmsnorm(x, w.cross_norm.as<float>(), xn, n, dm, config_.norm_eps);
  be.matmul(xn, w.cross.wq.view(), nullptr, q, n);
  be.attention(attention_batch(decoder_, n, slot_tables(slots), lengths), *cross_cache_, layer);
  be.matmul(attn_.as<float>(), w.cross.wo.view(), nullptr, partial_.as<float>(), n);
  all_reduce(partial_.as<float>(), n);
  be.add(x, partial_.as<float>(), static_cast<std::size_t>(n) * dm);
}

void T5Model::feed_forward(const Stack& stack, const T5Layer& w, int n) {
  kernels::Backend& be = *backend_;
  const int dm = config_.d_model, ffn = stack.shard.ffn.size();
  float *x = x_.as<float>(), *xn = xn_.as<float>(), *gate = gate_.as<float>(), *up = up_.as<float>();
  be.rmsnorm(x, w.ffn_norm.as<float>(), xn, n, dm, config_.norm_eps);
  be.matmul(xn, w.ffn.wi.view(), nullptr, gate, n);
  if (config_.gated) be.matmul(xn, w.ffn.wi_1.view(), nullptr, up, n);
  be.activate(config_.activation, gate, config_.gated ? up : nullptr, gate, static_cast<std::size_t>(n) * ffn);
  be.matmul(gate, w.ffn.wo.view(), nullptr, partial_.as<float>(), n);
  all_reduce(partial_.as<float>(), n);
  be.add(x, partial_.as<float>(), static_cast<std::size_t>(n) * dm);
}

void T5Model::encode(int slot, std::span<const int> tokens) {
  const int n = static_cast<int>(tokens.size()), C = limits_.capacity;
  GS_CHECK(n >= 1 && n <= C, "the encoder input has " << n << " tokens; this run allows 1.." << C
                                                      << " (runtime.max_seq_len)");
  GS_CHECK(slot >= 0 && slot < limits_.slots, "encode: slot " << slot << " is outside 0.." << limits_.slots - 1);
  for (int t = 0; t < n; ++t) {
    GS_CHECK(tokens[t] >= 0 && tokens[t] < config_.vocab_size,
             "encoder token id " << tokens[t] << " is outside the vocabulary of " << config_.vocab_size);
    host_encode_[kEncTokens * C + t] = tokens[t];
    host_encode_[kEncPositions * C + t] = t;
    host_encode_[kEncZeros * C + t] = 0;
    host_encode_[kEncLengths * C + t] = n;
    host_encode_[kEncSlot * C + t] = slot;
  }
  kernels::Backend& be = *backend_;
  be.upload(encode_ints_.data(), host_encode_.data(), host_encode_.size() * sizeof(int));
  const int* ints = encode_ints_.as<int>();
  const int* positions = ints + kEncPositions * C;
  be.run_step(0, [&] {
    be.embed(weights_.embedding.view(), ints + kEncTokens * C, n, x_.as<float>());
    for (int l = 0; l < config_.n_encoder_layers; ++l) {
      self_attention(encoder_, weights_.encoder[l], *encoder_cache_, 0, n, ints + kEncZeros * C, positions,
                     ints + kEncLengths * C);
      feed_forward(encoder_, weights_.encoder[l], n);
    }
    float* out = encoder_out_.as<float>();
    be.rmsnorm(x_.as<float>(), weights_.encoder_norm.as<float>(), out, n, config_.d_model, config_.norm_eps);
    // Cross-attention K/V of this rank's decoder groups, once per request.
    for (int l = 0; l < config_.n_decoder_layers; ++l) {
      const T5Attention& cross = weights_.decoder[l].cross;
      be.matmul(out, cross.wk.view(), nullptr, k_.as<float>(), n);
      be.matmul(out, cross.wv.view(), nullptr, v_.as<float>(), n);
      be.store_kv(*cross_cache_, l, {n, k_.as<float>(), v_.as<float>(), slot_tables(ints + kEncSlot * C), positions});
    }
  });
  encoded_length_[slot] = n;
}

std::span<const float> T5Model::forward(const StepBatch& batch) {
  const int n = batch.size(), T = limits_.max_step_tokens;
  GS_CHECK(n >= 1 && n <= T, "a step of " << n << " tokens exceeds the step limit of " << T);
  GS_CHECK(batch.positions.size() == batch.tokens.size() && batch.slots.size() == batch.tokens.size() &&
               batch.logit_rows.size() <= batch.tokens.size(),
           "a step batch's tokens, positions and slots differ in length");
  for (int t = 0; t < n; ++t) {
    GS_CHECK(batch.tokens[t] >= 0 && batch.tokens[t] < config_.vocab_size,
             "token id " << batch.tokens[t] << " is outside the vocabulary of " << config_.vocab_size);
    GS_CHECK(batch.slots[t] >= 0 && batch.slots[t] < limits_.slots && batch.positions[t] >= 0 &&
                 batch.positions[t] < limits_.capacity,
             "KV cache: slot " << batch.slots[t] << " position " << batch.positions[t] << " is outside "
                               << limits_.slots << " slots of " << limits_.capacity << " positions");
    GS_CHECK(encoded_length_[batch.slots[t]] > 0,
             "slot " << batch.slots[t] << " has no encoder output: encode its input before decoding");
    host_step_[kLengths * T + t] = batch.positions[t] + 1;
    host_step_[kCrossLengths * T + t] = encoded_length_[batch.slots[t]];
  }
  std::copy_n(batch.tokens.begin(), n, host_step_.begin() + kTokens * T);
  std::copy_n(batch.positions.begin(), n, host_step_.begin() + kPositions * T);
  std::copy_n(batch.slots.begin(), n, host_step_.begin() + kSlots * T);
  for (int row : batch.logit_rows) GS_CHECK(row >= 0 && row < n, "logit row " << row << " is not a token of the step");
  std::copy(batch.logit_rows.begin(), batch.logit_rows.end(), host_step_.begin() + kLogitRows * T);
  kernels::Backend& be = *backend_;
  be.upload(step_ints_.data(), host_step_.data(), host_step_.size() * sizeof(int));

  const int rows = static_cast<int>(batch.logit_rows.size());
  const int* ints = step_ints_.as<int>();
  be.run_step(0, [&] {
    be.embed(weights_.embedding.view(), ints + kTokens * T, n, x_.as<float>());
    for (int l = 0; l < config_.n_decoder_layers; ++l) {
      self_attention(decoder_, weights_.decoder[l], *self_cache_, l, n, ints + kSlots * T, ints + kPositions * T,
                     ints + kLengths * T);
      cross_attention(weights_.decoder[l], l, n, ints + kSlots * T, ints + kCrossLengths * T);
      feed_forward(decoder_, weights_.decoder[l], n);
    }
    lm_head(rows);
  });
  if (channel_.rank() != 0) return {};
  const std::size_t count = static_cast<std::size_t>(rows) * config_.vocab_size;
  if (host_logits_.empty()) return {logits_.as<float>(), count};
  be.download(host_logits_.data(), logits_.data(), count * sizeof(float));
  return {host_logits_.data(), count};
}

void T5Model::lm_head(int rows) {
  if (rows == 0) return;
  const int dm = config_.d_model, vocab = config_.vocab_size, local_vocab = decoder_.shard.vocab.size();
  const int T = limits_.max_step_tokens;
  kernels::Backend& be = *backend_;
  float* selected = partial_.as<float>();
  be.gather_rows(x_.as<float>(), dm, step_ints_.as<int>() + kLogitRows * T, rows, selected);
  be.rmsnorm(selected, weights_.decoder_norm.as<float>(), xn_.as<float>(), rows, dm, config_.norm_eps);
  const kernels::WeightMatrix head = config_.tied_embeddings
                                         ? weights_.embedding.view().row_slice(decoder_.shard.vocab.begin, local_vocab)
                                         : weights_.lm_head.view();
  be.matmul(xn_.as<float>(), head, nullptr, local_logits_.as<float>(), rows);
  if (channel_.size() == 1) {
    be.copy_columns(local_logits_.as<float>(), rows, local_vocab, logits_.as<float>(), vocab, 0);
    return;
  }
  for (int r = 0; r < channel_.size(); ++r) gather_counts_[r] = rows * decoder_plan_.rank(r).vocab.size();
  const kernels::MemorySpace space = be.memory_space();
  channel_.gather({local_logits_.data(), static_cast<std::size_t>(rows) * local_vocab, DType::f32, space},
                  {gathered_.data(), static_cast<std::size_t>(rows) * vocab, DType::f32, space},
                  gather_counts_, 0, be.stream());
  if (channel_.rank() != 0) return;
  std::size_t offset = 0;
  for (int r = 0; r < channel_.size(); ++r) {
    const IndexRange slice = decoder_plan_.rank(r).vocab;
    be.copy_columns(gathered_.as<float>() + offset, rows, slice.size(), logits_.as<float>(), vocab, slice.begin);
    offset += static_cast<std::size_t>(rows) * slice.size();
  }
}

}  // namespace gs
