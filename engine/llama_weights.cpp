#include "engine/llama_weights.h"

#include "kernels/check.h"

namespace gs {

namespace {

// Copies rows [rows.begin, rows.end) of a matrix, or elements of a 1-D tensor, whole.
std::vector<float> load_rows(const TensorView& t, IndexRange rows) {
  std::vector<float> out(static_cast<std::size_t>(rows.size()) * t.cols());
  if (t.shape.size() == 1) {
    read_row_f32(t, 0, rows.begin, rows.end, out.data());
    return out;
  }
  for (int r = rows.begin; r < rows.end; ++r)
    read_row_f32(t, r, 0, t.cols(), out.data() + static_cast<std::size_t>(r - rows.begin) * t.cols());
  return out;
}

// Copies columns [cols.begin, cols.end) of every row of a matrix.
std::vector<float> load_columns(const TensorView& t, IndexRange cols) {
  std::vector<float> out(static_cast<std::size_t>(t.rows()) * cols.size());
  for (std::int64_t r = 0; r < t.rows(); ++r)
    read_row_f32(t, r, cols.begin, cols.end, out.data() + r * cols.size());
  return out;
}

// Rows of whole heads [heads.begin, heads.end) of a (n_heads*d, ...) tensor. Where the
// checkpoint orders rotary pairs half-split (HF), each head's rows are reordered to the
// engine's interleaved layout: interleaved row 2i is half-split row i, row 2i+1 is i + d/2.
std::vector<float> load_head_rows(const TensorView& t, IndexRange heads, int d, bool unpermute) {
  if (!unpermute) return load_rows(t, {heads.begin * d, heads.end * d});
  const std::int64_t cols = t.shape.size() == 1 ? 1 : t.cols();
  std::vector<float> out(static_cast<std::size_t>(heads.size()) * d * cols);
  for (int h = heads.begin; h < heads.end; ++h) {
    for (int i = 0; i < d; ++i) {
      const int src = h * d + (i % 2 == 0 ? i / 2 : i / 2 + d / 2);
      float* dst = out.data() + (static_cast<std::size_t>(h - heads.begin) * d + i) * cols;
      if (t.shape.size() == 1) {
        read_row_f32(t, 0, src, src + 1, dst);
      } else {
        read_row_f32(t, src, 0, cols, dst);
      }
    }
  }
  return out;
}

}  // namespace

LlamaWeights LlamaWeights::load(const WeightSource& source, const ShardPlan& plan, int rank) {
  const ModelConfig& config = source.config();
  const RankShard& shard = plan.rank(rank);
  const int d = config.head_dim;
  const bool unpermute = source.rotary_layout() == RotaryLayout::half_split;
  auto whole = [&](WeightKind kind, int layer = -1) {
    const TensorView t = source.tensor(kind, layer);
    return load_rows(t, {0, static_cast<int>(t.rows())});
  };

  LlamaWeights w;
  w.token_embedding = whole(WeightKind::token_embedding);
  w.final_norm = whole(WeightKind::final_norm);
  if (!config.tied_embeddings) w.lm_head = load_rows(source.tensor(WeightKind::lm_head), shard.vocab);

  w.layers.resize(config.n_layers);
  for (int l = 0; l < config.n_layers; ++l) {
    LayerWeights& layer = w.layers[l];
    auto heads = [&](WeightKind kind, IndexRange range, bool rotary) {
      return load_head_rows(source.tensor(kind, l), range, d, rotary && unpermute);
    };
    layer.attn_norm = whole(WeightKind::attn_norm, l);
    layer.wq = heads(WeightKind::wq, shard.q_heads, true);
    layer.wk = heads(WeightKind::wk, shard.kv_heads, true);
    layer.wv = heads(WeightKind::wv, shard.kv_heads, false);
    if (config.qkv_bias) {
      layer.bq = heads(WeightKind::bq, shard.q_heads, true);
      layer.bk = heads(WeightKind::bk, shard.kv_heads, true);
      layer.bv = heads(WeightKind::bv, shard.kv_heads, false);
    }
    layer.wo = load_columns(source.tensor(WeightKind::wo, l), {shard.q_heads.begin * d, shard.q_heads.end * d});
    layer.ffn_norm = whole(WeightKind::ffn_norm, l);
    layer.w_gate = load_rows(source.tensor(WeightKind::w_gate, l), shard.ffn);
    layer.w_up = load_rows(source.tensor(WeightKind::w_up, l), shard.ffn);
    layer.w_down = load_columns(source.tensor(WeightKind::w_down, l), shard.ffn);
  }
  return w;
}

std::int64_t LlamaWeights::bytes() const {
  std::size_t floats = token_embedding.size() + final_norm.size() + lm_head.size();
  for (const LayerWeights& l : layers) {
    for (const std::vector<float>* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.bq, &l.bk, &l.bv,
                                        &l.wo, &l.ffn_norm, &l.w_gate, &l.w_up, &l.w_down})
      floats += t->size();
  }
  return static_cast<std::int64_t>(floats * sizeof(float));
}

}  // namespace gs
