// The models the planner costs: presets with the published config values, or the
// config of a checkpoint or config.json. Only shapes matter here, never weights.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "parallel/model_shape.h"

namespace gs::planner {

enum class ModelFamily {
  decoder_only,     // Llama-style, what the engine runs
  encoder_decoder,  // T5.1.1, the GQA paper's model
};

struct PlannerModel {
  std::string name;
  ModelFamily family = ModelFamily::decoder_only;
  // Decoder-only: the whole model, as ShardPlan takes it. Encoder-decoder: the
  // decoder stack (n_layers decoder layers); its n_kv_heads is the G of both
  // decoder self- and cross-attention, as in the paper.
  ModelShape shape;
  int max_seq_len = 0;  // the default context
  // Encoder-decoder only: encoder self-attention stays multi-head (the paper does
  // not group it), so the encoder is planned with G = H.
  int encoder_layers = 0;
  int relative_attention_buckets = 0;  // a (buckets, H) bias table per stack
  bool gated_ffn = true;               // gated-GELU / SwiGLU: three FFN matrices, else two
};

std::vector<std::string> preset_names();

// A preset name, a config.json file, a Hugging Face directory (its config.json)
// or a llama2.c .bin checkpoint. Throws gs::Error naming the argument and the presets.
PlannerModel load_planner_model(const std::string& name_or_path);

// Reads a config.json object: model_type t5, or one the engine reads (llama,
// mistral, qwen2). Errors name the field and `source`.
PlannerModel planner_model_from_hf_json(const nlohmann::json& config, const std::string& source);

// The same model with G KV groups (the paper's uptrained variants); G must divide H.
PlannerModel with_kv_groups(PlannerModel model, int kv_groups);

}  // namespace gs::planner
