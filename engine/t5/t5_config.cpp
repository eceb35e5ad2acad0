#include "engine/t5/t5_config.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/check.h"

namespace gs {

namespace {

using nlohmann::json;

int get_int(const json& c, const char* key, const std::string& source, std::optional<int> fallback = {}) {
  if (!c.contains(key) || c[key].is_null()) {
    GS_CHECK(fallback.has_value(), source << ": T5 config has no \"" << key << "\"");
    return *fallback;
  }
  GS_CHECK(c[key].is_number_integer(), source << ": \"" << key << "\" must be an integer, got " << c[key].dump());
  const auto v = c[key].get<std::int64_t>();
  GS_CHECK(v >= -1 && v <= (1LL << 30), source << ": \"" << key << "\" = " << v << " is out of range");
  return static_cast<int>(v);
}

kernels::Activation activation_from_name(const std::string& name, const std::string& source) {
  if (name == "relu") return kernels::Activation::relu;
  if (name == "gelu") return kernels::Activation::gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return kernels::Activation::gelu_tanh;
  if (name == "silu" || name == "swish") return kernels::Activation::silu;
  GS_FAIL(source << ": feed_forward_proj activation '" << name
                 << "' is not supported (relu, gelu, gelu_new, gelu_pytorch_tanh, silu)");
}

}  // namespace

bool is_t5_hf_config(const json& c) {
  if (!c.is_object()) return false;
  if (c.contains("model_type") && c["model_type"] == "t5") return true;
  if (c.contains("architectures") && c["architectures"].is_array())
    for (const json& a : c["architectures"])
      if (a.is_string() && a.get<std::string>().rfind("T5", 0) == 0) return true;
  return false;
}

T5Config t5_config_from_hf_json(const json& c, const std::string& source) {
  GS_CHECK(c.is_object(), source << ": config.json must be a JSON object");
  T5Config t;
  t.d_model = get_int(c, "d_model", source);
  t.d_kv = get_int(c, "d_kv", source);
  t.d_ff = get_int(c, "d_ff", source);
  t.n_encoder_layers = get_int(c, "num_layers", source);
  t.n_decoder_layers = get_int(c, "num_decoder_layers", source, t.n_encoder_layers);
  t.n_heads = get_int(c, "num_heads", source);
  t.n_kv_heads = get_int(c, "num_key_value_heads", source, t.n_heads);
  t.vocab_size = get_int(c, "vocab_size", source);
  t.relative_buckets = get_int(c, "relative_attention_num_buckets", source, 32);
  t.relative_max_distance = get_int(c, "relative_attention_max_distance", source, 128);
  t.pad_id = get_int(c, "pad_token_id", source, 0);
  t.eos_id = get_int(c, "eos_token_id", source, 1);
  t.decoder_start_id = get_int(c, "decoder_start_token_id", source, t.pad_id);
  t.max_positions = get_int(c, "n_positions", source, 512);
  if (c.contains("layer_norm_epsilon")) {
    GS_CHECK(c["layer_norm_epsilon"].is_number(), source << ": \"layer_norm_epsilon\" must be a number");
    t.norm_eps = c["layer_norm_epsilon"].get<float>();
  }
  if (c.contains("tie_word_embeddings")) {
    GS_CHECK(c["tie_word_embeddings"].is_boolean(), source << ": \"tie_word_embeddings\" must be true or false");
    t.tied_embeddings = c["tie_word_embeddings"].get<bool>();
  }
  // As HF's T5Config: "gated-gelu" means gated gelu_new; "ACT" or "gated-ACT" otherwise.
  std::string proj = "relu";
  if (c.contains("feed_forward_proj")) {
    GS_CHECK(c["feed_forward_proj"].is_string(), source << ": \"feed_forward_proj\" must be a string");
    proj = c["feed_forward_proj"].get<std::string>();
  }
  std::string act = proj;
  if (proj.rfind("gated-", 0) == 0) {
    t.gated = true;
    act = proj.substr(6);
  }
  GS_CHECK(!act.empty() && act.find('-') == std::string::npos,
           source << ": feed_forward_proj '" << proj << "' is not 'ACT' or 'gated-ACT'");
  if (proj == "gated-gelu") act = "gelu_new";
  t.activation = activation_from_name(act, source);
  t.validate(source);
  return t;
}

void T5Config::validate(const std::string& source) const {
  auto positive = [&](int v, const char* name) {
    GS_CHECK(v >= 1, source << ": T5 config field " << name << " must be positive, got " << v);
  };
  positive(d_model, "d_model");
  positive(d_kv, "d_kv");
  positive(d_ff, "d_ff");
  positive(n_encoder_layers, "num_layers");
  positive(n_decoder_layers, "num_decoder_layers");
  positive(n_heads, "num_heads");
  positive(n_kv_heads, "num_key_value_heads");
  positive(vocab_size, "vocab_size");
  positive(relative_buckets, "relative_attention_num_buckets");
  positive(relative_max_distance, "relative_attention_max_distance");
  positive(max_positions, "n_positions");
  GS_CHECK(std::int64_t{n_heads} * d_kv <= std::numeric_limits<int>::max(),
           source << ": num_heads * d_kv = " << std::int64_t{n_heads} * d_kv << " is too large");
  GS_CHECK(n_heads % n_kv_heads == 0, source << ": num_key_value_heads = " << n_kv_heads
                                             << " must divide num_heads = " << n_heads
                                             << " (each KV group serves H/G query heads)");
  GS_CHECK(relative_buckets >= 4, source << ": relative_attention_num_buckets must be at least 4, got "
                                         << relative_buckets);
  GS_CHECK(norm_eps > 0.0f && std::isfinite(norm_eps), source << ": layer_norm_epsilon must be positive");
  for (int id : {eos_id, decoder_start_id})
    GS_CHECK(id >= 0 && id < vocab_size,
             source << ": special token id " << id << " is outside the vocabulary of " << vocab_size);
}

ModelShape T5Config::encoder_shape() const {
  ModelShape s;
  s.dim = d_model;
  s.ffn_dim = d_ff;
  s.n_layers = n_encoder_layers;
  s.n_heads = n_heads;
  s.n_kv_heads = n_heads;
  s.head_dim = d_kv;
  s.vocab_size = vocab_size;
  s.tied_embeddings = true;  // the encoder has no LM head of its own
  return s;
}

ModelShape T5Config::decoder_shape() const {
  ModelShape s = encoder_shape();
  s.n_layers = n_decoder_layers;
  s.n_kv_heads = n_kv_heads;
  s.tied_embeddings = tied_embeddings;
  return s;
}

ModelConfig T5Config::decoder_config() const {
  ModelConfig m;
  m.architecture = "t5";
  m.dim = d_model;
  m.ffn_dim = d_ff;
  m.n_layers = n_decoder_layers;
  m.n_heads = n_heads;
  m.n_kv_heads = n_kv_heads;
  m.head_dim = d_kv;
  m.vocab_size = vocab_size;
  m.max_seq_len = max_positions;
  m.norm_eps = norm_eps;
  m.tied_embeddings = tied_embeddings;
  m.bos_id = decoder_start_id;
  m.eos_ids = {eos_id};
  return m;
}

int t5_relative_position_bucket(int relative_position, bool bidirectional, int num_buckets, int max_distance) {
  int bucket = 0;
  int n = num_buckets;
  int distance = 0;
  if (bidirectional) {
    n /= 2;
    if (relative_position > 0) bucket += n;
    distance = std::abs(relative_position);
  } else {
    distance = relative_position < 0 ? -relative_position : 0;
  }
  const int max_exact = n / 2;
  if (distance < max_exact) return bucket + distance;
  // float32 as torch computes it: log(d / max_exact) / log(max_distance / max_exact) * (n - max_exact).
  const float ratio = static_cast<float>(distance) / static_cast<float>(max_exact);
  const float scaled = std::log(ratio) / static_cast<float>(std::log(static_cast<double>(max_distance) / max_exact)) *
                       static_cast<float>(n - max_exact);
  const int large = std::min(max_exact + static_cast<int>(scaled), n - 1);
  return bucket + large;
}

}  // namespace gs
