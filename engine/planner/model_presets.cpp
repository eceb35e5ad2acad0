#include "engine/planner/model_presets.h"

#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/checkpoint/weight_source.h"
#include "engine/model_config.h"
#include "common/check.h"
#include "common/json_file.h"

namespace gs::planner {

namespace {

using nlohmann::json;

// The fields of each model's published Hugging Face config.json that shape the
// cost (values as published; read by the same parsers as a user's config.json).
const std::map<std::string, const char*>& presets() {
  static const std::map<std::string, const char*> table = {
      // google/t5-v1_1-xxl: T5.1.1 XXL, the model of the GQA paper (Ainslie et al. 2023).
      {"t5-xxl", R"({"model_type": "t5", "d_model": 4096, "d_ff": 10240, "d_kv": 64,
                     "num_heads": 64, "num_layers": 24, "num_decoder_layers": 24,
                     "vocab_size": 32128, "feed_forward_proj": "gated-gelu",
                     "relative_attention_num_buckets": 32, "tie_word_embeddings": false,
                     "n_positions": 512})"},
      // meta-llama/Llama-2-70b-hf
      {"llama-2-70b", R"({"model_type": "llama", "hidden_size": 8192, "intermediate_size": 28672,
                          "num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8,
                          "vocab_size": 32000, "max_position_embeddings": 4096,
                          "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": false})"},
      // meta-llama/Meta-Llama-3-8B
      {"llama-3-8b", R"({"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
                         "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
                         "vocab_size": 128256, "max_position_embeddings": 8192,
                         "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": false,
                         "bos_token_id": 128000, "eos_token_id": 128001})"},
      // meta-llama/Meta-Llama-3-70B
      {"llama-3-70b", R"({"model_type": "llama", "hidden_size": 8192, "intermediate_size": 28672,
                          "num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8,
                          "vocab_size": 128256, "max_position_embeddings": 8192,
                          "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": false,
                          "bos_token_id": 128000, "eos_token_id": 128001})"},
      // mistralai/Mistral-7B-v0.1 (the 4096-token sliding window caps the context)
      {"mistral-7b", R"({"model_type": "mistral", "hidden_size": 4096, "intermediate_size": 14336,
                         "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
                         "vocab_size": 32000, "max_position_embeddings": 32768, "sliding_window": 4096,
                         "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": false})"},
  };
  return table;
}

std::string preset_list() {
  std::string list;
  for (const std::string& name : preset_names()) list += (list.empty() ? "" : ", ") + name;
  return list;
}

int positive_field(const json& config, const char* field, const std::string& source,
                   std::optional<int> fallback = std::nullopt) {
  const auto it = config.find(field);
  if (it == config.end() || it->is_null()) {
    GS_CHECK(fallback, source << ": missing required field \"" << field << "\"");
    return *fallback;
  }
  GS_CHECK(it->is_number_integer() && it->get<std::int64_t>() > 0 && it->get<std::int64_t>() <= INT_MAX,
           source << ": field \"" << field << "\" must be a positive integer, got " << it->dump());
  return it->get<int>();
}

// T5Config: d_model, d_kv, num_heads, d_ff, num_layers, num_decoder_layers, ... (T5
// has no num_key_value_heads; the released models are multi-head, G = H).
PlannerModel t5_from_json(const json& c, const std::string& source) {
  PlannerModel m;
  m.family = ModelFamily::encoder_decoder;
  m.shape.dim = positive_field(c, "d_model", source);
  m.shape.ffn_dim = positive_field(c, "d_ff", source);
  m.shape.head_dim = positive_field(c, "d_kv", source);
  m.shape.n_heads = positive_field(c, "num_heads", source);
  m.shape.n_kv_heads = positive_field(c, "num_key_value_heads", source, m.shape.n_heads);
  m.encoder_layers = positive_field(c, "num_layers", source);
  m.shape.n_layers = positive_field(c, "num_decoder_layers", source, m.encoder_layers);
  m.shape.vocab_size = positive_field(c, "vocab_size", source);
  m.relative_attention_buckets = positive_field(c, "relative_attention_num_buckets", source, 32);
  m.max_seq_len = positive_field(c, "n_positions", source, 512);
  // T5Config's defaults: tied embeddings, a plain ReLU FFN (T5.1.1 sets both otherwise).
  m.shape.tied_embeddings = c.value("tie_word_embeddings", true);
  const std::string ffn = c.value("feed_forward_proj", std::string("relu"));
  m.gated_ffn = ffn.rfind("gated-", 0) == 0;
  GS_CHECK(m.gated_ffn || ffn == "relu" || ffn == "gelu",
           source << ": unsupported feed_forward_proj \"" << ffn << "\"");
  GS_CHECK(m.shape.n_heads % m.shape.n_kv_heads == 0,
           source << ": num_heads " << m.shape.n_heads << " is not a multiple of num_key_value_heads "
                  << m.shape.n_kv_heads);
  return m;
}

}  // namespace

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& [name, config] : presets()) names.push_back(name);
  return names;
}

PlannerModel planner_model_from_hf_json(const json& config, const std::string& source) {
  GS_CHECK(config.is_object(), source << ": config.json must hold a JSON object");
  PlannerModel m;
  if (config.value("model_type", std::string()) == "t5") {
    m = t5_from_json(config, source);
  } else {
    const ModelConfig c = model_config_from_hf_json(config, source);
    m.shape = c.shape();
    m.max_seq_len = c.max_seq_len;
  }
  m.name = source;
  return m;
}

PlannerModel load_planner_model(const std::string& name_or_path) {
  const auto preset = presets().find(name_or_path);
  if (preset != presets().end()) {
    PlannerModel m = planner_model_from_hf_json(json::parse(preset->second), "preset " + name_or_path);
    m.name = name_or_path;
    return m;
  }
  const std::filesystem::path path = name_or_path;
  GS_CHECK(std::filesystem::exists(path), "unknown model '" << name_or_path << "': not a preset ("
                                                           << preset_list()
                                                           << ") and no such file or directory");
  PlannerModel m;
  if (std::filesystem::is_directory(path) || path.extension() == ".json") {
    // Only the config is needed, so a Hugging Face directory's weights are never opened.
    const std::filesystem::path file = std::filesystem::is_directory(path) ? path / "config.json" : path;
    m = planner_model_from_hf_json(read_json_file(file), file.string());
  } else {
    const ModelConfig c = open_checkpoint(path)->config();
    m.shape = c.shape();
    m.max_seq_len = c.max_seq_len;
  }
  m.name = name_or_path;
  return m;
}

PlannerModel with_kv_groups(PlannerModel model, int kv_groups) {
  GS_CHECK(kv_groups >= 1 && model.shape.n_heads % kv_groups == 0,
           "--kv-groups " << kv_groups << " does not divide the model's " << model.shape.n_heads
                          << " query heads: each KV group needs the same number of query heads");
  model.shape.n_kv_heads = kv_groups;
  return model;
}

}  // namespace gs::planner
