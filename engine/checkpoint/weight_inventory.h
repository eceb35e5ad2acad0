// The list of tensors a ModelConfig implies, and the checks and labels every
// WeightSource shares so they all answer the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/checkpoint/weight_source.h"
#include "engine/model_config.h"

namespace gs {

struct WeightId {
  WeightKind kind;
  int layer = -1;  // -1 for tensors that are not per layer
};

// Every tensor of the model in Hugging Face order: token_embedding; per layer
// attn_norm, wq, wk, wv, (bq, bk, bv), wo, ffn_norm, w_gate, w_up, w_down;
// final_norm; lm_head if not tied.
std::vector<WeightId> model_weights(const ModelConfig& config);

// "wq (layer 3)", or "final_norm" for tensors that are not per layer.
std::string weight_label(WeightKind kind, int layer);

// "(64, 172)".
std::string shape_string(const std::vector<std::int64_t>& shape);

// Throws gs::Error naming `source` unless the model has this tensor: the layer is
// in range (or -1 for tensors not per layer), biases exist, lm_head is untied.
void check_weight_request(const ModelConfig& config, WeightKind kind, int layer,
                          const std::string& source);

}  // namespace gs
