// Hugging Face checkpoint directories: config.json plus either model.safetensors
// or model.safetensors.index.json ("weight_map": tensor name -> shard file).
// Rows of q/k projections (and biases) are in HF's half-split rotary layout.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "engine/checkpoint/weight_source.h"

namespace gs {

// "model.layers.3.self_attn.q_proj.weight", "model.embed_tokens.weight", ...
std::string hf_tensor_name(WeightKind kind, int layer = -1);

// Reads config.json, maps every shard once and checks up front that every tensor
// the config implies is present with the expected shape.
std::unique_ptr<WeightSource> open_hf_checkpoint(const std::filesystem::path& dir);

}  // namespace gs
