#include "engine/model_config.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/check.h"

namespace gs {

using nlohmann::json;

void ModelConfig::validate(const std::string& source) const {
  GS_CHECK(architecture == "llama" || architecture == "mistral" || architecture == "qwen2",
           source << ": unsupported architecture \"" << architecture
                  << "\" (supported: llama, mistral, qwen2)");
  auto positive = [&](int value, const char* field) {
    GS_CHECK(value > 0, source << ": " << field << " must be positive, got " << value);
  };
  positive(dim, "dim");
  positive(ffn_dim, "ffn_dim");
  positive(n_layers, "n_layers");
  positive(n_heads, "n_heads");
  positive(n_kv_heads, "n_kv_heads");
  positive(head_dim, "head_dim");
  positive(vocab_size, "vocab_size");
  positive(max_seq_len, "max_seq_len");
  GS_CHECK(n_heads % n_kv_heads == 0, source << ": n_heads " << n_heads
                                             << " is not a multiple of n_kv_heads " << n_kv_heads
                                             << " (query heads must split evenly into KV groups)");
  // The query projection's width is an int everywhere a layer is sized.
  GS_CHECK(std::int64_t{n_heads} * head_dim <= INT_MAX,
           source << ": n_heads * head_dim = " << std::int64_t{n_heads} * head_dim
                  << " is too large (at most " << INT_MAX << ")");
  // RoPE rotates pairs of head dimensions.
  GS_CHECK(head_dim % 2 == 0, source << ": head_dim must be even for RoPE, got " << head_dim);
  GS_CHECK(std::isfinite(rope_theta) && rope_theta > 0,
           source << ": rope_theta must be positive, got " << rope_theta);
  GS_CHECK(std::isfinite(norm_eps) && norm_eps > 0,
           source << ": norm_eps must be positive, got " << norm_eps);
  if (rope_scaling) {
    const Llama3RopeScaling& s = *rope_scaling;
    GS_CHECK(std::isfinite(s.factor) && s.factor > 0,
             source << ": rope_scaling.factor must be positive, got " << s.factor);
    GS_CHECK(std::isfinite(s.low_freq_factor) && std::isfinite(s.high_freq_factor) &&
                 s.low_freq_factor > 0 && s.high_freq_factor > s.low_freq_factor,
             source << ": rope_scaling needs 0 < low_freq_factor < high_freq_factor, got "
                    << s.low_freq_factor << " and " << s.high_freq_factor);
    GS_CHECK(s.original_max_position > 0,
             source << ": rope_scaling.original_max_position_embeddings must be positive, got "
                    << s.original_max_position);
  }
  GS_CHECK(bos_id >= 0 && bos_id < vocab_size, source << ": bos_id " << bos_id
                                                      << " is outside the vocabulary [0, "
                                                      << vocab_size << ")");
  GS_CHECK(!eos_ids.empty(), source << ": eos_ids is empty (need at least one end-of-sequence id)");
  for (int eos : eos_ids) {
    GS_CHECK(eos >= 0 && eos < vocab_size, source << ": eos id " << eos
                                                  << " is outside the vocabulary [0, " << vocab_size
                                                  << ")");
  }
}

ModelShape ModelConfig::shape() const {
  ModelShape s;
  s.dim = dim;
  s.ffn_dim = ffn_dim;
  s.n_layers = n_layers;
  s.n_heads = n_heads;
  s.n_kv_heads = n_kv_heads;
  s.head_dim = head_dim;
  s.vocab_size = vocab_size;
  s.tied_embeddings = tied_embeddings;
  s.qkv_bias = qkv_bias;
  return s;
}

namespace {

// Typed access to config.json fields; every error names the field and the file.
// A field set to null counts as absent, as Hugging Face treats it.
class HfFields {
 public:
  HfFields(const json& object, std::string source, std::string prefix = {})
      : object_(object), source_(std::move(source)), prefix_(std::move(prefix)) {}

  const json* find(const char* field) const {
    auto it = object_.find(field);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  const json& required(const char* field) const {
    const json* value = find(field);
    GS_CHECK(value, source_ << ": missing required field \"" << prefix_ << field << "\"");
    return *value;
  }

  int to_int(const json& value, const char* field) const {
    GS_CHECK(value.is_number_integer(), source_ << ": field \"" << prefix_ << field
                                                << "\" must be an integer, got " << value.dump());
    const bool fits = value.is_number_unsigned() ? value.get<std::uint64_t>() <= INT_MAX
                                                 : value.get<std::int64_t>() >= INT_MIN &&
                                                       value.get<std::int64_t>() <= INT_MAX;
    GS_CHECK(fits,
             source_ << ": field \"" << prefix_ << field << "\" is out of range: " << value.dump());
    return value.get<int>();
  }
  int required_int(const char* field) const { return to_int(required(field), field); }
  int optional_int(const char* field, int fallback) const {
    const json* value = find(field);
    return value ? to_int(*value, field) : fallback;
  }

  double to_number(const json& value, const char* field) const {
    GS_CHECK(value.is_number(), source_ << ": field \"" << prefix_ << field
                                        << "\" must be a number, got " << value.dump());
    return value.get<double>();
  }
  double required_number(const char* field) const { return to_number(required(field), field); }
  double optional_number(const char* field, double fallback) const {
    const json* value = find(field);
    return value ? to_number(*value, field) : fallback;
  }

  bool optional_bool(const char* field, bool fallback) const {
    const json* value = find(field);
    if (!value) return fallback;
    GS_CHECK(value->is_boolean(), source_ << ": field \"" << prefix_ << field
                                          << "\" must be true or false, got " << value->dump());
    return value->get<bool>();
  }

  std::string to_string(const json& value, const char* field) const {
    GS_CHECK(value.is_string(), source_ << ": field \"" << prefix_ << field
                                        << "\" must be a string, got " << value.dump());
    return value.get<std::string>();
  }

  // eos_token_id is an int or, for chat models (Llama 3), a list of ints.
  std::vector<int> optional_int_list(const char* field, std::vector<int> fallback) const {
    const json* value = find(field);
    if (!value) return fallback;
    if (!value->is_array()) return {to_int(*value, field)};
    GS_CHECK(!value->empty(), source_ << ": field \"" << prefix_ << field << "\" is an empty list");
    std::vector<int> ids;
    for (const json& id : *value) ids.push_back(to_int(id, field));
    return ids;
  }

  const std::string& source() const { return source_; }

 private:
  const json& object_;
  std::string source_;
  std::string prefix_;
};

std::optional<Llama3RopeScaling> read_rope_scaling(const HfFields& config) {
  const json* value = config.find("rope_scaling");
  if (!value) return std::nullopt;
  const std::string& source = config.source();
  GS_CHECK(value->is_object(),
           source << ": field \"rope_scaling\" must be an object or null, got " << value->dump());
  const HfFields fields(*value, source, "rope_scaling.");
  // Newer transformers write "rope_type", older ones "type".
  const char* type_field = fields.find("rope_type") ? "rope_type" : "type";
  const std::string type = fields.to_string(fields.required(type_field), type_field);
  // "default" is how transformers spells "no scaling".
  if (type == "default") return std::nullopt;
  GS_CHECK(type == "llama3",
           source << ": unsupported rope_scaling type \"" << type << "\" (supported: llama3)");
  Llama3RopeScaling scaling;
  scaling.factor = fields.required_number("factor");
  scaling.low_freq_factor = fields.required_number("low_freq_factor");
  scaling.high_freq_factor = fields.required_number("high_freq_factor");
  scaling.original_max_position = fields.required_int("original_max_position_embeddings");
  return scaling;
}

// The shortest decimal that reads back as the same float, so config.json says
// 1e-05 rather than 9.999999747378752e-06 and still round-trips exactly.
double float_as_short_double(float value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer) - 1, value);
  *end = '\0';
  return std::strtod(buffer, nullptr);
}

}  // namespace

ModelConfig model_config_from_hf_json(const json& config, const std::string& source) {
  GS_CHECK(config.is_object(),
           source << ": config.json must hold a JSON object, got " << config.type_name());
  const HfFields fields(config, source);
  ModelConfig c;

  c.architecture = fields.to_string(fields.required("model_type"), "model_type");
  GS_CHECK(c.architecture == "llama" || c.architecture == "mistral" || c.architecture == "qwen2",
           source << ": unsupported model_type \"" << c.architecture
                  << "\" (supported: llama, mistral, qwen2)");
  const json* act = fields.find("hidden_act");
  if (act) {
    const std::string name = fields.to_string(*act, "hidden_act");
    GS_CHECK(name == "silu", source << ": unsupported hidden_act \"" << name
                                    << "\" (only silu, the SwiGLU MLP, is supported)");
  }
  // Llama's attention_bias also adds an o_proj bias, which the engine does not have.
  GS_CHECK(!fields.optional_bool("attention_bias", false) || c.architecture == "qwen2",
           source << ": attention_bias = true (q/k/v/o_proj biases) is not supported for "
                  << c.architecture);
  GS_CHECK(!fields.optional_bool("mlp_bias", false),
           source << ": mlp_bias = true (MLP biases) is not supported");
  c.qkv_bias = c.architecture == "qwen2";

  // Sizes are checked here so messages use config.json's names.
  auto positive = [&](const char* field, int value) {
    GS_CHECK(value > 0, source << ": field \"" << field << "\" must be positive, got " << value);
    return value;
  };
  c.dim = positive("hidden_size", fields.required_int("hidden_size"));
  c.ffn_dim = positive("intermediate_size", fields.required_int("intermediate_size"));
  c.n_layers = positive("num_hidden_layers", fields.required_int("num_hidden_layers"));
  c.n_heads = positive("num_attention_heads", fields.required_int("num_attention_heads"));
  c.vocab_size = positive("vocab_size", fields.required_int("vocab_size"));
  c.max_seq_len =
      positive("max_position_embeddings", fields.required_int("max_position_embeddings"));
  c.n_kv_heads =
      positive("num_key_value_heads", fields.optional_int("num_key_value_heads", c.n_heads));
  c.head_dim = positive("head_dim", fields.optional_int("head_dim", c.dim / c.n_heads));
  c.norm_eps = static_cast<float>(fields.optional_number("rms_norm_eps", 1e-6));
  c.rope_theta = fields.optional_number("rope_theta", 10000.0);
  c.rope_scaling = read_rope_scaling(fields);
  c.tied_embeddings = fields.optional_bool("tie_word_embeddings", false);
  c.bos_id = fields.optional_int("bos_token_id", 1);
  c.eos_ids = fields.optional_int_list("eos_token_id", {2});

  // Within the window, full attention is exact; beyond it, sliding-window attention
  // would differ, so the model is served only up to the window.
  const bool sliding =
      c.architecture == "mistral" ||
      (c.architecture == "qwen2" && fields.optional_bool("use_sliding_window", false));
  if (sliding && fields.find("sliding_window")) {
    c.max_seq_len =
        std::min(c.max_seq_len, positive("sliding_window", fields.required_int("sliding_window")));
  }

  c.validate(source);
  return c;
}

json model_config_to_hf_json(const ModelConfig& c) {
  c.validate("model config for config.json");
  // Hugging Face expresses q/k/v biases only through the model type.
  GS_CHECK(c.qkv_bias == (c.architecture == "qwen2"),
           "model config for config.json: qkv_bias = "
               << (c.qkv_bias ? "true" : "false") << " cannot be expressed for architecture "
               << c.architecture
               << " (Hugging Face qwen2 always has q/k/v biases, llama and mistral never)");
  json j;
  if (c.architecture == "llama") {
    j["architectures"] = {"LlamaForCausalLM"};
  } else if (c.architecture == "mistral") {
    j["architectures"] = {"MistralForCausalLM"};
  } else {
    j["architectures"] = {"Qwen2ForCausalLM"};
  }
  j["model_type"] = c.architecture;
  j["hidden_size"] = c.dim;
  j["intermediate_size"] = c.ffn_dim;
  j["num_hidden_layers"] = c.n_layers;
  j["num_attention_heads"] = c.n_heads;
  j["num_key_value_heads"] = c.n_kv_heads;
  j["head_dim"] = c.head_dim;
  j["vocab_size"] = c.vocab_size;
  j["max_position_embeddings"] = c.max_seq_len;
  j["rms_norm_eps"] = float_as_short_double(c.norm_eps);
  j["rope_theta"] = c.rope_theta;
  if (c.rope_scaling) {
    j["rope_scaling"] = {
        {"rope_type", "llama3"},
        {"factor", c.rope_scaling->factor},
        {"low_freq_factor", c.rope_scaling->low_freq_factor},
        {"high_freq_factor", c.rope_scaling->high_freq_factor},
        {"original_max_position_embeddings", c.rope_scaling->original_max_position},
    };
  }
  j["hidden_act"] = "silu";
  j["tie_word_embeddings"] = c.tied_embeddings;
  j["bos_token_id"] = c.bos_id;
  j["eos_token_id"] = c.eos_ids.size() == 1 ? json(c.eos_ids[0]) : json(c.eos_ids);
  if (c.architecture == "llama") {
    j["attention_bias"] = false;
    j["mlp_bias"] = false;
  } else if (c.architecture == "mistral") {
    j["sliding_window"] = nullptr;
  } else {
    j["use_sliding_window"] = false;
  }
  return j;
}

}  // namespace gs
