// T5Config: the hyper-parameters of a T5 encoder-decoder (T5 v1.0, T5.1.1,
// flan-t5) as Hugging Face's T5Config holds them, plus the GQA extension of the
// paper (Ainslie et al. 2023): `num_key_value_heads` groups the decoder's self- and
// cross-attention K/V heads; the encoder keeps multi-head attention.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "engine/model_config.h"
#include "kernels/backend.h"
#include "parallel/model_shape.h"

namespace gs {

struct T5Config {
  int d_model = 0;
  int d_kv = 0;                 // head size
  int d_ff = 0;
  int n_encoder_layers = 0;     // num_layers
  int n_decoder_layers = 0;     // num_decoder_layers (default num_layers)
  int n_heads = 0;              // query heads H (encoder and decoder)
  int n_kv_heads = 0;           // decoder KV groups G (num_key_value_heads; H when absent)
  int vocab_size = 0;
  int relative_buckets = 32;    // relative_attention_num_buckets
  int relative_max_distance = 128;
  float norm_eps = 1e-6f;       // layer_norm_epsilon
  kernels::Activation activation = kernels::Activation::relu;  // dense_act_fn
  bool gated = false;           // feed_forward_proj "gated-*": act(wi_0 x) * wi_1 x
  bool tied_embeddings = true;  // tie_word_embeddings: LM head = shared, input scaled by d_model^-0.5
  int pad_id = 0;
  int eos_id = 1;
  int decoder_start_id = 0;
  int max_positions = 512;      // n_positions (T5's relative bias has no hard limit; a cache bound)

  // Throws gs::Error naming the first bad field and `source`.
  void validate(const std::string& source) const;
  // The encoder as the ShardPlan sees it: multi-head (G = H).
  ModelShape encoder_shape() const;
  // The decoder: H query heads in G groups, the vocabulary and the LM head.
  ModelShape decoder_shape() const;
  // The decoder described as a ModelConfig (what Model::config() returns): widths,
  // vocabulary, stop ids (EOS) and BOS = decoder_start_id.
  ModelConfig decoder_config() const;
};

// Reads a Hugging Face T5 config.json (T5ForConditionalGeneration). Missing
// required fields and unsupported values are errors naming the field and `source`.
T5Config t5_config_from_hf_json(const nlohmann::json& config, const std::string& source);

// Whether a config.json describes a T5 model (model_type "t5" or a T5 architecture).
bool is_t5_hf_config(const nlohmann::json& config);

// Hugging Face's T5Attention._relative_position_bucket for one relative position
// (key position - query position), in the same float32 arithmetic.
int t5_relative_position_bucket(int relative_position, bool bidirectional, int num_buckets, int max_distance);

}  // namespace gs
