#include "engine/checkpoint/hf_checkpoint.h"

#include <map>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "engine/checkpoint/safetensors_shards.h"
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

ModelConfig read_config(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "config.json";
  return model_config_from_hf_json(read_json_file(path), path.string());
}

class HfCheckpoint : public WeightSource {
 public:
  explicit HfCheckpoint(const std::filesystem::path& dir)
      : dir_(dir), config_(read_config(dir)), shards_(dir) {
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
  // The tensor's view, checked to exist where the index says and to have the
  // shape the config implies.
  TensorView find(const WeightId& id) const {
    const std::string name = hf_tensor_name(id.kind, id.layer);
    const std::string label = weight_label(id.kind, id.layer);
    const TensorView* view = shards_.find(name, label);
    GS_CHECK(view, dir_.string() << ": tensor " << name << " (" << label << ") is missing from "
                                 << shards_.listed_in());
    const std::vector<std::int64_t> expected = expected_shape(config_, id.kind);
    GS_CHECK(view->shape == expected, shards_.path_of(name).string()
                                          << ": tensor " << name << " (" << label << ") has shape "
                                          << shape_string(view->shape) << " but the config implies "
                                          << shape_string(expected));
    return *view;
  }

  std::filesystem::path dir_;
  ModelConfig config_;
  SafetensorsShards shards_;
  std::map<std::pair<WeightKind, int>, TensorView> views_;
};

}  // namespace

std::unique_ptr<WeightSource> open_hf_checkpoint(const std::filesystem::path& dir) {
  return std::make_unique<HfCheckpoint>(dir);
}

}  // namespace gs
