// ModelConfig: the hyper-parameters of a decoder-only Llama-family model
// (Llama 2/3, Mistral, Qwen2 and llama2.c checkpoints), validated once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "parallel/model_shape.h"

namespace gs {

// Llama 3.1's "llama3" rope_scaling: long wavelengths slowed by `factor`,
// short ones kept, a smooth blend between.
struct Llama3RopeScaling {
  double factor = 8.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int original_max_position = 8192;
};

struct ModelConfig {
  std::string architecture = "llama";  // llama | mistral | qwen2 (for messages and defaults)
  int dim = 0;                 // model width (hidden_size)
  int ffn_dim = 0;             // MLP intermediate size
  int n_layers = 0;
  int n_heads = 0;             // query heads H
  int n_kv_heads = 0;          // KV groups G; H % G == 0
  int head_dim = 0;            // usually dim / n_heads
  int vocab_size = 0;
  int max_seq_len = 0;         // positions the model supports
  double rope_theta = 10000.0;
  std::optional<Llama3RopeScaling> rope_scaling;
  float norm_eps = 1e-5f;
  bool tied_embeddings = false;  // LM head shares the token embedding
  bool qkv_bias = false;         // Qwen2 has q/k/v biases
  int bos_id = 1;
  std::vector<int> eos_ids = {2};

  // Throws gs::Error naming the first bad field and `source`.
  void validate(const std::string& source) const;
  ModelShape shape() const;
};

// Reads a Hugging Face config.json (LlamaForCausalLM, MistralForCausalLM,
// Qwen2ForCausalLM). Missing required fields and unsupported features are errors
// naming the field and `source`.
ModelConfig model_config_from_hf_json(const nlohmann::json& config, const std::string& source);

// The config.json a converted or test-written checkpoint carries.
nlohmann::json model_config_to_hf_json(const ModelConfig& config);

}  // namespace gs
