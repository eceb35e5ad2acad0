#include "engine/checkpoint/weight_inventory.h"

#include <sstream>

#include "common/check.h"

namespace gs {

std::vector<WeightId> model_weights(const ModelConfig& config) {
  std::vector<WeightId> ids = {{WeightKind::token_embedding}};
  for (int l = 0; l < config.n_layers; ++l) {
    ids.push_back({WeightKind::attn_norm, l});
    ids.push_back({WeightKind::wq, l});
    ids.push_back({WeightKind::wk, l});
    ids.push_back({WeightKind::wv, l});
    if (config.qkv_bias) {
      ids.push_back({WeightKind::bq, l});
      ids.push_back({WeightKind::bk, l});
      ids.push_back({WeightKind::bv, l});
    }
    ids.push_back({WeightKind::wo, l});
    ids.push_back({WeightKind::ffn_norm, l});
    ids.push_back({WeightKind::w_gate, l});
    ids.push_back({WeightKind::w_up, l});
    ids.push_back({WeightKind::w_down, l});
  }
  ids.push_back({WeightKind::final_norm});
  if (!config.tied_embeddings) ids.push_back({WeightKind::lm_head});
  return ids;
}

std::string weight_label(WeightKind kind, int layer) {
  std::string label = weight_kind_name(kind);
  if (weight_kind_is_per_layer(kind)) label += " (layer " + std::to_string(layer) + ")";
  return label;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::ostringstream out;
  out << '(';
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ')';
  return out.str();
}

void check_weight_request(const ModelConfig& config, WeightKind kind, int layer,
                          const std::string& source) {
  const std::string name = weight_kind_name(kind);
  if (weight_kind_is_per_layer(kind)) {
    GS_CHECK(layer >= 0 && layer < config.n_layers,
             source << ": " << name << " requested for layer " << layer << " but the model has "
                    << config.n_layers << " layers");
  } else {
    GS_CHECK(layer == -1,
             source << ": " << name << " is not per layer; layer must be -1, got " << layer);
  }
  const bool is_bias = kind == WeightKind::bq || kind == WeightKind::bk || kind == WeightKind::bv;
  GS_CHECK(!is_bias || config.qkv_bias,
           source << ": " << name << " requested but the model has no q/k/v biases");
  GS_CHECK(kind != WeightKind::lm_head || !config.tied_embeddings,
           source << ": lm_head requested but the model ties it to token_embedding");
}

}  // namespace gs
