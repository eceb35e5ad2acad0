#include "engine/t5/t5_checkpoint.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/checkpoint/weight_inventory.h"
#include "common/check.h"

namespace gs {

namespace {

using nlohmann::json;

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  GS_CHECK(in, path.string() << ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::exception& e) {
    GS_FAIL(path.string() << ": not valid JSON: " << e.what());
  }
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

T5Checkpoint::T5Checkpoint(const std::filesystem::path& dir) : dir_(dir) {
  const std::filesystem::path config_path = dir / "config.json";
  config_ = t5_config_from_hf_json(read_json(config_path), config_path.string());
  open_shards();
  const T5Config& c = config_;
  const std::int64_t dm = c.d_model, inner = std::int64_t(c.n_heads) * c.d_kv,
                     kv_inner = std::int64_t(c.n_kv_heads) * c.d_kv;

  const TensorView* embedding = nullptr;
  for (const char* name : {"shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"})
    if ((embedding = find(name)) != nullptr) break;
  GS_CHECK(embedding, dir_.string() << ": the token embedding (shared.weight, or encoder.embed_tokens.weight) is "
                                    << "missing from " << weights_listed_in_);
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

void T5Checkpoint::open_shards() {
  const std::filesystem::path single = dir_ / "model.safetensors";
  const std::filesystem::path index = dir_ / "model.safetensors.index.json";
  if (std::filesystem::exists(single)) {
    shards_.push_back(std::make_unique<SafetensorsFile>(single));
    for (const auto& [name, view] : shards_[0]->tensors()) shard_of_[name] = 0;
    weights_listed_in_ = single.filename().string();
    return;
  }
  GS_CHECK(std::filesystem::exists(index),
           dir_.string() << ": has neither model.safetensors nor model.safetensors.index.json"
                         << (std::filesystem::exists(dir_ / "pytorch_model.bin")
                                 ? " (PyTorch .bin weights are not supported; convert them to safetensors)"
                                 : ""));
  const json root = read_json(index);
  GS_CHECK(root.is_object() && root.contains("weight_map") && root["weight_map"].is_object(),
           index.string() << ": has no \"weight_map\" object (tensor name -> shard file)");
  std::map<std::string, std::size_t> numbers;
  for (const auto& [name, file] : root["weight_map"].items()) {
    GS_CHECK(file.is_string(), index.string() << ": weight_map entry for " << name << " must be a file name");
    const std::string shard = file.get<std::string>();
    GS_CHECK(shard.find('/') == std::string::npos && shard.find("..") == std::string::npos,
             index.string() << ": shard name '" << shard << "' must be a file in the checkpoint's directory");
    auto [it, added] = numbers.emplace(shard, shards_.size());
    if (added) shards_.push_back(std::make_unique<SafetensorsFile>(dir_ / shard));
    shard_of_[name] = it->second;
  }
  weights_listed_in_ = index.filename().string();
}

const TensorView* T5Checkpoint::find(const std::string& name) const {
  auto it = shard_of_.find(name);
  if (it == shard_of_.end()) return nullptr;
  const TensorView* view = shards_[it->second]->find(name);
  GS_CHECK(view, shards_[it->second]->path().string()
                     << ": tensor " << name << " is listed in " << weights_listed_in_ << " but missing from this file");
  return view;
}

void T5Checkpoint::require(const std::string& name, std::vector<std::int64_t> shape) {
  const TensorView* view = find(name);
  GS_CHECK(view, dir_.string() << ": tensor " << name << " is missing from " << weights_listed_in_);
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
