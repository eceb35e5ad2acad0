#include "engine/t5/t5_checkpoint.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/checkpoint/weight_inventory.h"
#include "common/check.h"
#include "common/json_file.h"

namespace gs {

namespace {

using nlohmann::json;

T5Config read_config(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "config.json";
  return t5_config_from_hf_json(read_json_file(path), path.string());
}

}  // namespace

bool is_t5_checkpoint(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::path config = path / "config.json";
  if (!std::filesystem::is_directory(path, ec) || !std::filesystem::is_regular_file(config, ec)) return false;
  std::ifstream in(config, std::ios::binary);
  const json c = json::parse(in, nullptr, /*allow_exceptions=*/false);
  return !c.is_discarded() && is_t5_hf_config(c);
}

std::string T5Checkpoint::attention_name(const std::string& stack, int layer, bool cross, const std::string& proj) {
  return stack + ".block." + std::to_string(layer) + ".layer." + (cross ? "1.EncDecAttention." : "0.SelfAttention.") +
         proj + ".weight";
}

std::string T5Checkpoint::norm_name(const std::string& stack, int layer, int sublayer) {
  return stack + ".block." + std::to_string(layer) + ".layer." + std::to_string(sublayer) + ".layer_norm.weight";
}

std::string T5Checkpoint::ffn_name(const std::string& stack, int layer, const std::string& proj) {
  const int sublayer = stack == "decoder" ? 2 : 1;
  return stack + ".block." + std::to_string(layer) + ".layer." + std::to_string(sublayer) + ".DenseReluDense." +
         proj + ".weight";
}

std::string T5Checkpoint::relative_bias_name(const std::string& stack) {
  return stack + ".block.0.layer.0.SelfAttention.relative_attention_bias.weight";
}

T5Checkpoint::T5Checkpoint(const std::filesystem::path& dir) : dir_(dir), config_(read_config(dir)), shards_(dir) {
  const T5Config& c = config_;
  const std::int64_t dm = c.d_model, inner = std::int64_t(c.n_heads) * c.d_kv,
                     kv_inner = std::int64_t(c.n_kv_heads) * c.d_kv;

  const TensorView* embedding = nullptr;
  for (const char* name : {"shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"})
    if ((embedding = shards_.find(name)) != nullptr) break;
  GS_CHECK(embedding, dir_.string() << ": the token embedding (shared.weight, or encoder.embed_tokens.weight) is "
                                    << "missing from " << shards_.listed_in());
  GS_CHECK(embedding->shape == (std::vector<std::int64_t>{c.vocab_size, dm}),
           dir_.string() << ": tensor " << embedding->name << " has shape " << shape_string(embedding->shape)
                         << " but the config implies [" << c.vocab_size << ", " << dm << "]");
  embedding_ = *embedding;

  for (const std::string stack : {"encoder", "decoder"}) {
    const bool decoder = stack == "decoder";
    const int layers = decoder ? c.n_decoder_layers : c.n_encoder_layers;
    const std::int64_t kv = decoder ? kv_inner : inner;
    require(relative_bias_name(stack), {c.relative_buckets, c.n_heads});
    for (int l = 0; l < layers; ++l) {
      for (bool cross : decoder ? std::vector<bool>{false, true} : std::vector<bool>{false}) {
        require(attention_name(stack, l, cross, "q"), {inner, dm});
        require(attention_name(stack, l, cross, "k"), {kv, dm});
        require(attention_name(stack, l, cross, "v"), {kv, dm});
        require(attention_name(stack, l, cross, "o"), {dm, inner});
      }
      for (int sub = 0; sub < (decoder ? 3 : 2); ++sub) require(norm_name(stack, l, sub), {dm});
      if (c.gated) {
        require(ffn_name(stack, l, "wi_0"), {c.d_ff, dm});
        require(ffn_name(stack, l, "wi_1"), {c.d_ff, dm});
      } else {
        require(ffn_name(stack, l, "wi"), {c.d_ff, dm});
      }
      require(ffn_name(stack, l, "wo"), {dm, c.d_ff});
    }
    require(stack + ".final_layer_norm.weight", {dm});
  }
  if (!c.tied_embeddings) require("lm_head.weight", {c.vocab_size, dm});
}

void T5Checkpoint::require(const std::string& name, std::vector<std::int64_t> shape) {
  const TensorView* view = shards_.find(name);
  GS_CHECK(view, dir_.string() << ": tensor " << name << " is missing from " << shards_.listed_in());
  GS_CHECK(view->shape == shape, dir_.string() << ": tensor " << name << " has shape " << shape_string(view->shape)
                                               << " but the config implies " << shape_string(shape));
  views_[name] = *view;
}

const TensorView& T5Checkpoint::tensor(const std::string& name) const {
  auto it = views_.find(name);
  GS_CHECK(it != views_.end(), describe() << ": tensor " << name << " was not checked at open");
  return it->second;
}

}  // namespace gs
