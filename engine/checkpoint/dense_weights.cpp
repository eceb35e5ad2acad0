#include "engine/checkpoint/dense_weights.h"

#include <cmath>
#include <fstream>
#include <random>

#include "engine/checkpoint/hf_writer.h"
#include "engine/checkpoint/rotary_rows.h"
#include "engine/checkpoint/weight_inventory.h"
#include "common/check.h"

namespace gs {

std::vector<float>& DenseWeights::at(WeightKind kind, int layer) {
  auto it = tensors.find({kind, layer});
  GS_CHECK(it != tensors.end(), "DenseWeights: no tensor " << weight_label(kind, layer));
  return it->second;
}

const std::vector<float>& DenseWeights::at(WeightKind kind, int layer) const {
  auto it = tensors.find({kind, layer});
  GS_CHECK(it != tensors.end(), "DenseWeights: no tensor " << weight_label(kind, layer));
  return it->second;
}

namespace {

std::int64_t element_count(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (std::int64_t extent : shape) n *= extent;
  return n;
}

// Every tensor the config implies is present with the right number of values.
void check_complete(const DenseWeights& weights, const std::string& context) {
  for (const WeightId& id : model_weights(weights.config)) {
    const std::vector<std::int64_t> shape = expected_shape(weights.config, id.kind);
    const std::size_t have = weights.at(id.kind, id.layer).size();
    GS_CHECK(have == static_cast<std::size_t>(element_count(shape)),
             context << ": " << weight_label(id.kind, id.layer) << " has " << have
                     << " values but the config implies shape " << shape_string(shape));
  }
}

}  // namespace

DenseWeights random_dense_weights(const ModelConfig& config, std::uint64_t seed) {
  config.validate("random_dense_weights config");
  DenseWeights w;
  w.config = config;
  std::mt19937_64 rng(seed);
  // Uniform in [-1, 1) from the top 24 bits: the same numbers on every standard library.
  auto uniform = [&] { return static_cast<float>(rng() >> 40) * 0x1p-23f - 1.0f; };
  for (const WeightId& id : model_weights(config)) {
    const std::vector<std::int64_t> shape = expected_shape(config, id.kind);
    std::vector<float>& values = w.tensors[{id.kind, id.layer}];
    values.resize(static_cast<std::size_t>(element_count(shape)));
    const bool is_norm = id.kind == WeightKind::attn_norm || id.kind == WeightKind::ffn_norm ||
                         id.kind == WeightKind::final_norm;
    const bool is_bias =
        id.kind == WeightKind::bq || id.kind == WeightKind::bk || id.kind == WeightKind::bv;
    // Matrices: uniform in ±sqrt(3 / fan_in) has variance 1 / fan_in, so each
    // projection of an RMS-normalised input keeps activations O(1). The LM head
    // gets twice that, logits with standard deviation ~2: peaked enough that
    // greedy choices are clear, far from one-hot. A tied embedding is that LM
    // head; at ±1 its logits would saturate (the model repeats its input token).
    const float fan_in = static_cast<float>(shape.back());
    const float matrix = std::sqrt(3.0f / fan_in);
    const bool is_head = id.kind == WeightKind::lm_head ||
                         (id.kind == WeightKind::token_embedding && config.tied_embeddings);
    const float scale = is_head                                  ? 2.0f * matrix
                        : id.kind == WeightKind::token_embedding ? 1.0f
                        : is_bias || is_norm                     ? 0.1f
                                                                 : matrix;
    for (float& v : values) v = (is_norm ? 1.0f : 0.0f) + scale * uniform();
  }
  return w;
}

DenseWeights read_dense_weights(const WeightSource& source) {
  DenseWeights w;
  w.config = source.config();
  for (const WeightId& id : model_weights(w.config)) {
    const TensorView view = source.tensor(id.kind, id.layer);
    const std::vector<std::int64_t> shape = expected_shape(w.config, id.kind);
    GS_CHECK(view.shape == shape, source.describe() << ": tensor " << view.name << " has shape "
                                                    << shape_string(view.shape) << ", expected "
                                                    << shape_string(shape));
    // 1-D tensors are a single row.
    const std::int64_t rows = shape.size() == 1 ? 1 : shape[0];
    const std::int64_t row_len = shape.back();
    std::vector<float> values(static_cast<std::size_t>(rows * row_len));
    for (std::int64_t r = 0; r < rows; ++r)
      read_row_f32(view, r, 0, row_len, values.data() + r * row_len);
    if (has_rotary_rows(id.kind) && source.rotary_layout() != RotaryLayout::interleaved) {
      values = permute_rotary_rows(values, w.config.head_dim, shape.size() == 1 ? 1 : row_len,
                                   source.rotary_layout(), RotaryLayout::interleaved);
    }
    w.tensors[{id.kind, id.layer}] = std::move(values);
  }
  return w;
}

namespace {

class InMemoryWeightSource : public WeightSource {
 public:
  explicit InMemoryWeightSource(std::shared_ptr<const DenseWeights> weights)
      : weights_(std::move(weights)) {
    GS_CHECK(weights_, "make_in_memory_source: no weights given");
    weights_->config.validate(describe());
    check_complete(*weights_, describe());
  }

  const ModelConfig& config() const override { return weights_->config; }
  RotaryLayout rotary_layout() const override { return RotaryLayout::interleaved; }
  std::string describe() const override { return "in-memory model"; }

  TensorView tensor(WeightKind kind, int layer) const override {
    check_weight_request(weights_->config, kind, layer, describe());
    TensorView view;
    view.name = weight_label(kind, layer);
    view.dtype = DType::f32;
    view.shape = expected_shape(weights_->config, kind);
    view.data = reinterpret_cast<const std::byte*>(weights_->at(kind, layer).data());
    return view;
  }

 private:
  std::shared_ptr<const DenseWeights> weights_;
};

}  // namespace

std::unique_ptr<WeightSource> make_in_memory_source(std::shared_ptr<const DenseWeights> weights) {
  return std::make_unique<InMemoryWeightSource>(std::move(weights));
}

void write_llama2c_checkpoint(const DenseWeights& weights, const std::filesystem::path& path) {
  const ModelConfig& c = weights.config;
  const std::string where = path.string();
  c.validate(where);
  check_complete(weights, where);
  // The format has no fields for these; run.c hard-codes the values it reads back with.
  GS_CHECK(!c.qkv_bias, where << ": llama2.c checkpoints cannot hold q/k/v biases");
  GS_CHECK(c.head_dim * c.n_heads == c.dim,
           where << ": llama2.c checkpoints need head_dim == dim / n_heads, got head_dim "
                 << c.head_dim << " with dim " << c.dim << " and " << c.n_heads << " heads");
  GS_CHECK(c.rope_theta == 10000.0 && !c.rope_scaling,
           where << ": llama2.c checkpoints fix RoPE at theta 10000 without scaling, got theta "
                 << c.rope_theta << (c.rope_scaling ? " with llama3 scaling" : ""));
  GS_CHECK(c.norm_eps == 1e-5f,
           where << ": llama2.c checkpoints fix norm_eps at 1e-5, got " << c.norm_eps);
  GS_CHECK(c.bos_id == 1 && c.eos_ids == std::vector<int>{2},
           where << ": llama2.c checkpoints fix bos 1 and eos 2");

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  GS_CHECK(out, where << ": cannot open for writing");
  const std::int32_t header[7] = {c.dim,        c.ffn_dim,
                                  c.n_layers,   c.n_heads,
                                  c.n_kv_heads, c.tied_embeddings ? c.vocab_size : -c.vocab_size,
                                  c.max_seq_len};
  out.write(reinterpret_cast<const char*>(header), sizeof(header));
  auto write = [&](const std::vector<float>& values) {
    out.write(reinterpret_cast<const char*>(values.data()),
              static_cast<std::streamsize>(values.size() * sizeof(float)));
  };
  auto write_stacked = [&](WeightKind kind) {
    for (int l = 0; l < c.n_layers; ++l) write(weights.at(kind, l));
  };
  write(weights.at(WeightKind::token_embedding));
  for (WeightKind kind :
       {WeightKind::attn_norm, WeightKind::wq, WeightKind::wk, WeightKind::wv, WeightKind::wo,
        WeightKind::ffn_norm, WeightKind::w_gate, WeightKind::w_down, WeightKind::w_up})
    write_stacked(kind);
  write(weights.at(WeightKind::final_norm));
  // freq_cis_real then freq_cis_imag (seq_len, head_dim/2), as llama2.c's export computes them.
  const int half = c.head_dim / 2;
  std::vector<float> cos_table(static_cast<std::size_t>(c.max_seq_len) * half),
      sin_table(cos_table.size());
  for (int pos = 0; pos < c.max_seq_len; ++pos) {
    for (int i = 0; i < half; ++i) {
      const float freq = 1.0f / std::pow(10000.0f, static_cast<float>(2 * i) / c.head_dim);
      const float angle = static_cast<float>(pos) * freq;
      cos_table[static_cast<std::size_t>(pos) * half + i] = std::cos(angle);
      sin_table[static_cast<std::size_t>(pos) * half + i] = std::sin(angle);
    }
  }
  write(cos_table);
  write(sin_table);
  if (!c.tied_embeddings) write(weights.at(WeightKind::lm_head));
  out.close();
  GS_CHECK(!out.fail(), where << ": write failed");
}

void write_hf_checkpoint(const DenseWeights& weights, const std::filesystem::path& dir,
                         DType dtype) {
  check_complete(weights, dir.string());
  HfCheckpointWriter writer(dir, weights.config, dtype);
  for (const WeightId& id : writer.tensors())
    writer.write_next(weights.at(id.kind, id.layer), RotaryLayout::interleaved);
  writer.finish();
}

}  // namespace gs
