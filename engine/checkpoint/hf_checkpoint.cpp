#include "engine/checkpoint/hf_checkpoint.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

#include "engine/checkpoint/safetensors_reader.h"
#include "engine/checkpoint/weight_inventory.h"
#include "common/check.h"
#include "common/json_file.h"

namespace gs {

std::string hf_tensor_name(WeightKind kind, int layer) {
  const std::string prefix = "model.layers." + std::to_string(layer) + ".";
  switch (kind) {
    case WeightKind::token_embedding:
      return "model.embed_tokens.weight";
    case WeightKind::attn_norm:
      return prefix + "input_layernorm.weight";
    case WeightKind::wq:
      return prefix + "self_attn.q_proj.weight";
    case WeightKind::wk:
      return prefix + "self_attn.k_proj.weight";
    case WeightKind::wv:
      return prefix + "self_attn.v_proj.weight";
    case WeightKind::wo:
      return prefix + "self_attn.o_proj.weight";
    case WeightKind::bq:
      return prefix + "self_attn.q_proj.bias";
    case WeightKind::bk:
      return prefix + "self_attn.k_proj.bias";
    case WeightKind::bv:
      return prefix + "self_attn.v_proj.bias";
    case WeightKind::ffn_norm:
      return prefix + "post_attention_layernorm.weight";
    case WeightKind::w_gate:
      return prefix + "mlp.gate_proj.weight";
    case WeightKind::w_down:
      return prefix + "mlp.down_proj.weight";
    case WeightKind::w_up:
      return prefix + "mlp.up_proj.weight";
    case WeightKind::final_norm:
      return "model.norm.weight";
    case WeightKind::lm_head:
      return "lm_head.weight";
  }
  GS_FAIL("hf_tensor_name: invalid WeightKind " << static_cast<int>(kind));
}

namespace {

using nlohmann::json;

class HfCheckpoint : public WeightSource {
 public:
  explicit HfCheckpoint(const std::filesystem::path& dir) : dir_(dir) {
    const std::filesystem::path config_path = dir / "config.json";
    config_ = model_config_from_hf_json(read_json_file(config_path), config_path.string());
    open_shards();
    for (const WeightId& id : model_weights(config_)) views_[{id.kind, id.layer}] = find(id);
  }

  const ModelConfig& config() const override { return config_; }
  RotaryLayout rotary_layout() const override { return RotaryLayout::half_split; }
  std::string describe() const override { return "Hugging Face checkpoint " + dir_.string(); }

  TensorView tensor(WeightKind kind, int layer) const override {
    check_weight_request(config_, kind, layer, describe());
    return views_.at({kind, layer});
  }

 private:
  void open_shards() {
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
                                   ? " (PyTorch .bin weights are not supported; convert them to "
                                     "safetensors)"
                                   : ""));
    const json root = read_json_file(index);
    GS_CHECK(root.is_object() && root.contains("weight_map") && root["weight_map"].is_object(),
             index.string() << ": has no \"weight_map\" object (tensor name -> shard file)");
    std::map<std::string, std::size_t> shard_numbers;  // open each shard once
    for (const auto& [name, file] : root["weight_map"].items()) {
      GS_CHECK(file.is_string(), index.string() << ": weight_map entry for " << name
                                                << " must be a file name, got " << file.dump());
      const std::string shard = file.get<std::string>();
      auto [it, added] = shard_numbers.emplace(shard, shards_.size());
      if (added) shards_.push_back(std::make_unique<SafetensorsFile>(dir_ / shard));
      shard_of_[name] = it->second;
    }
    weights_listed_in_ = index.filename().string();
  }

  // The tensor's view, checked to exist where the index says and to have the
  // shape the config implies.
  TensorView find(const WeightId& id) const {
    const std::string name = hf_tensor_name(id.kind, id.layer);
    const std::string label = weight_label(id.kind, id.layer);
    auto it = shard_of_.find(name);
    GS_CHECK(it != shard_of_.end(), dir_.string() << ": tensor " << name << " (" << label
                                                  << ") is missing from " << weights_listed_in_);
    const SafetensorsFile& shard = *shards_[it->second];
    const TensorView* view = shard.find(name);
    GS_CHECK(view, shard.path().string()
                       << ": tensor " << name << " (" << label << ") is listed in "
                       << weights_listed_in_ << " but missing from this file");
    const std::vector<std::int64_t> expected = expected_shape(config_, id.kind);
    GS_CHECK(view->shape == expected, shard.path().string()
                                          << ": tensor " << name << " (" << label << ") has shape "
                                          << shape_string(view->shape) << " but the config implies "
                                          << shape_string(expected));
    return *view;
  }

  std::filesystem::path dir_;
  ModelConfig config_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, std::size_t> shard_of_;  // tensor name -> index into shards_
  std::string weights_listed_in_;                // the file that lists the tensors, for messages
  std::map<std::pair<WeightKind, int>, TensorView> views_;
};

}  // namespace

std::unique_ptr<WeightSource> open_hf_checkpoint(const std::filesystem::path& dir) {
  return std::make_unique<HfCheckpoint>(dir);
}

}  // namespace gs
