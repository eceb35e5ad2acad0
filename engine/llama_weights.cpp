#include "engine/llama_weights.h"

#include <functional>

#include "common/check.h"
#include "engine/checkpoint/rotary_rows.h"

namespace gs {

namespace {

// Row i of a head's rows in the engine's interleaved layout comes from this row of
// the checkpoint's: itself, or where the checkpoint orders rotary pairs half-split
// (HF), half_split_row(i, d).
std::int64_t head_row(int head, int i, int d, bool unpermute) {
  return static_cast<std::int64_t>(head) * d + (unpermute ? half_split_row(i, d) : i);
}

// A (rows, cols.size()) matrix whose row i is columns cols of checkpoint row source_row(i).
StoredMatrix load_matrix(kernels::Backend& backend, const TensorView& t, int rows, IndexRange cols,
                         const std::function<std::int64_t(int)>& source_row, DType type) {
  StoredMatrix m(backend, type, rows, cols.size());
  std::vector<float> row(cols.size());
  for (int i = 0; i < rows; ++i) {
    read_row_f32(t, source_row(i), cols.begin, cols.end, row.data());
    m.set_row(i, row.data());
  }
  return m;
}

// Rows [rows.begin, rows.end) of a matrix, whole.
StoredMatrix load_rows(kernels::Backend& backend, const TensorView& t, IndexRange rows,
                       DType type) {
  return load_matrix(backend, t, rows.size(), {0, static_cast<int>(t.cols())},
                     [&](int i) { return rows.begin + i; }, type);
}

// Columns [cols.begin, cols.end) of every row of a matrix.
StoredMatrix load_columns(kernels::Backend& backend, const TensorView& t, IndexRange cols,
                          DType type) {
  return load_matrix(backend, t, static_cast<int>(t.rows()), cols, [](int i) { return i; }, type);
}

// The rows of whole heads [heads.begin, heads.end) of a (n_heads*d, cols) matrix.
StoredMatrix load_head_rows(kernels::Backend& backend, const TensorView& t, IndexRange heads, int d,
                            bool unpermute, DType type) {
  return load_matrix(backend, t, heads.size() * d, {0, static_cast<int>(t.cols())},
                     [&](int i) { return head_row(heads.begin + i / d, i % d, d, unpermute); }, type);
}

// A whole 1-D tensor (a norm).
kernels::Buffer load_vector(kernels::Backend& backend, const TensorView& t) {
  std::vector<float> out(t.rows());
  read_row_f32(t, 0, 0, t.rows(), out.data());
  return backend.upload_copy(out.data(), out.size());
}

// The elements of whole heads of a (n_heads*d) bias.
kernels::Buffer load_head_vector(kernels::Backend& backend, const TensorView& t, IndexRange heads, int d,
                                 bool unpermute) {
  std::vector<float> out(static_cast<std::size_t>(heads.size()) * d);
  for (int i = 0; i < static_cast<int>(out.size()); ++i) {
    const std::int64_t src = head_row(heads.begin + i / d, i % d, d, unpermute);
    read_row_f32(t, 0, src, src + 1, &out[i]);
  }
  return backend.upload_copy(out.data(), out.size());
}

}  // namespace

LlamaWeights LlamaWeights::load(const WeightSource& source, const ShardPlan& plan, int rank,
                                kernels::Backend& backend, DType type) {
  const ModelConfig& config = source.config();
  const RankShard& shard = plan.rank(rank);
  const int d = config.head_dim;
  const bool unpermute = source.rotary_layout() == RotaryLayout::half_split;

  LlamaWeights w;
  const TensorView embedding = source.tensor(WeightKind::token_embedding);
  w.token_embedding = load_rows(backend, embedding, {0, static_cast<int>(embedding.rows())}, type);
  w.final_norm = load_vector(backend, source.tensor(WeightKind::final_norm));
  if (!config.tied_embeddings) w.lm_head = load_rows(backend, source.tensor(WeightKind::lm_head), shard.vocab, type);

  w.layers.resize(config.n_layers);
  for (int l = 0; l < config.n_layers; ++l) {
    LayerWeights& layer = w.layers[l];
    auto tensor = [&](WeightKind kind) { return source.tensor(kind, l); };
    layer.attn_norm = load_vector(backend, tensor(WeightKind::attn_norm));
    layer.wq = load_head_rows(backend, tensor(WeightKind::wq), shard.q_heads, d, unpermute, type);
    layer.wk = load_head_rows(backend, tensor(WeightKind::wk), shard.kv_heads, d, unpermute, type);
    layer.wv = load_head_rows(backend, tensor(WeightKind::wv), shard.kv_heads, d, false, type);
    if (config.qkv_bias) {
      layer.bq = load_head_vector(backend, tensor(WeightKind::bq), shard.q_heads, d, unpermute);
      layer.bk = load_head_vector(backend, tensor(WeightKind::bk), shard.kv_heads, d, unpermute);
      layer.bv = load_head_vector(backend, tensor(WeightKind::bv), shard.kv_heads, d, false);
    }
    layer.wo = load_columns(backend, tensor(WeightKind::wo), {shard.q_heads.begin * d, shard.q_heads.end * d}, type);
    layer.ffn_norm = load_vector(backend, tensor(WeightKind::ffn_norm));
    layer.w_gate = load_rows(backend, tensor(WeightKind::w_gate), shard.ffn, type);
    layer.w_up = load_rows(backend, tensor(WeightKind::w_up), shard.ffn, type);
    layer.w_down = load_columns(backend, tensor(WeightKind::w_down), shard.ffn, type);
  }
  return w;
}

std::int64_t LlamaWeights::bytes() const {
  std::int64_t total = token_embedding.bytes() + lm_head.bytes() + final_norm.bytes();
  for (const LayerWeights& l : layers) {
    for (const StoredMatrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
      total += m->bytes();
    for (const kernels::Buffer* v : {&l.attn_norm, &l.bq, &l.bk, &l.bv, &l.ffn_norm})
      total += static_cast<std::int64_t>(v->bytes());
  }
  return total;
}

}  // namespace gs
