// config.json parsing, defaults, validation messages and the exact round trip.
#include "engine/model_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace gs {
namespace {

using nlohmann::json;
using testing::error_of;

const std::string kSource = "models/tiny/config.json";

json llama_json() {
  return json{{"model_type", "llama"},         {"hidden_size", 64},
              {"intermediate_size", 172},      {"num_hidden_layers", 2},
              {"num_attention_heads", 8},      {"vocab_size", 512},
              {"max_position_embeddings", 256}};
}

std::string parse_error(const json& j) {
  return error_of([&] { model_config_from_hf_json(j, kSource); });
}

TEST(ModelConfig, HfDefaults) {
  const ModelConfig c = model_config_from_hf_json(llama_json(), kSource);
  EXPECT_EQ(c.architecture, "llama");
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.ffn_dim, 172);
  EXPECT_EQ(c.n_layers, 2);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 8);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.max_seq_len, 256);
  EXPECT_EQ(c.norm_eps, 1e-6f);
  EXPECT_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.rope_scaling);
  EXPECT_FALSE(c.tied_embeddings);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.bos_id, 1);
  EXPECT_EQ(c.eos_ids, std::vector<int>{2});
}

TEST(ModelConfig, HfExplicitFields) {
  json j = llama_json();
  j["num_key_value_heads"] = 2;
  j["head_dim"] = 16;
  j["rms_norm_eps"] = 1e-5;
  j["rope_theta"] = 500000;  // an integer in real Llama 3 configs
  j["tie_word_embeddings"] = true;
  j["bos_token_id"] = 0;
  j["eos_token_id"] = json::array({3, 5});
  j["hidden_act"] = "silu";
  j["rope_scaling"] = {{"rope_type", "llama3"},
                       {"factor", 8.0},
                       {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0},
                       {"original_max_position_embeddings", 128}};
  const ModelConfig c = model_config_from_hf_json(j, kSource);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.norm_eps, 1e-5f);
  EXPECT_EQ(c.rope_theta, 500000.0);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ(c.bos_id, 0);
  EXPECT_EQ(c.eos_ids, (std::vector<int>{3, 5}));
  ASSERT_TRUE(c.rope_scaling);
  EXPECT_EQ(c.rope_scaling->factor, 8.0);
  EXPECT_EQ(c.rope_scaling->high_freq_factor, 4.0);
  EXPECT_EQ(c.rope_scaling->original_max_position, 128);
  EXPECT_EQ(c.shape().n_kv_heads, 2);
  EXPECT_EQ(c.shape().head_dim, 16);
  EXPECT_TRUE(c.shape().tied_embeddings);
}

TEST(ModelConfig, NullFieldsTakeDefaults) {
  json j = llama_json();
  j["rope_scaling"] = nullptr;
  j["head_dim"] = nullptr;
  j["bos_token_id"] = nullptr;
  const ModelConfig c = model_config_from_hf_json(j, kSource);
  EXPECT_FALSE(c.rope_scaling);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.bos_id, 1);
}

TEST(ModelConfig, OlderRopeScalingTypeKey) {
  json j = llama_json();
  j["rope_scaling"] = {{"type", "llama3"},
                       {"factor", 32.0},
                       {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0},
                       {"original_max_position_embeddings", 64}};
  EXPECT_EQ(model_config_from_hf_json(j, kSource).rope_scaling->factor, 32.0);
}

TEST(ModelConfig, Qwen2HasBiasesAndOptionalSlidingWindow) {
  json j = llama_json();
  j["model_type"] = "qwen2";
  j["sliding_window"] = 32;
  j["use_sliding_window"] = false;
  ModelConfig c = model_config_from_hf_json(j, kSource);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_EQ(c.max_seq_len, 256);
  j["use_sliding_window"] = true;
  c = model_config_from_hf_json(j, kSource);
  EXPECT_EQ(c.max_seq_len, 32);
}

TEST(ModelConfig, MistralSlidingWindowCapsContext) {
  json j = llama_json();
  j["model_type"] = "mistral";
  j["sliding_window"] = 128;
  ModelConfig c = model_config_from_hf_json(j, kSource);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.max_seq_len, 128);
  j["sliding_window"] = nullptr;
  EXPECT_EQ(model_config_from_hf_json(j, kSource).max_seq_len, 256);
  j["sliding_window"] = 4096;  // wider than the context: no cap
  EXPECT_EQ(model_config_from_hf_json(j, kSource).max_seq_len, 256);
}

TEST(ModelConfig, MissingRequiredFieldNamesFieldAndFile) {
  for (const char* field :
       {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "vocab_size", "max_position_embeddings", "model_type"}) {
    json j = llama_json();
    j.erase(field);
    const std::string message = parse_error(j);
    EXPECT_CONTAINS(message, kSource);
    EXPECT_CONTAINS(message, std::string("missing required field \"") + field + "\"");
  }
}

TEST(ModelConfig, WrongTypesNameTheField) {
  json j = llama_json();
  j["hidden_size"] = "64";
  std::string message = parse_error(j);
  EXPECT_CONTAINS(message, kSource);
  EXPECT_CONTAINS(message, "\"hidden_size\" must be an integer");

  j = llama_json();
  j["num_hidden_layers"] = 2.5;
  EXPECT_CONTAINS(parse_error(j), "\"num_hidden_layers\" must be an integer");
  j = llama_json();
  j["tie_word_embeddings"] = 1;
  EXPECT_CONTAINS(parse_error(j), "\"tie_word_embeddings\" must be true or false");
  j = llama_json();
  j["rms_norm_eps"] = "1e-5";
  EXPECT_CONTAINS(parse_error(j), "\"rms_norm_eps\" must be a number");
  j = llama_json();
  j["eos_token_id"] = json::array({2, "x"});
  EXPECT_CONTAINS(parse_error(j), "\"eos_token_id\" must be an integer");
  j = llama_json();
  j["vocab_size"] = 1ll << 40;
  EXPECT_CONTAINS(parse_error(j), "\"vocab_size\" is out of range");
  EXPECT_CONTAINS(parse_error(json::array({1, 2})), "must hold a JSON object");
  j = llama_json();
  j["hidden_size"] = 0;
  EXPECT_CONTAINS(parse_error(j), "\"hidden_size\" must be positive, got 0");
  j = llama_json();
  j["num_attention_heads"] = 0;  // must not divide by zero on the way to head_dim
  EXPECT_CONTAINS(parse_error(j), "\"num_attention_heads\" must be positive");
}

TEST(ModelConfig, UnsupportedFeatures) {
  json j = llama_json();
  j["model_type"] = "gpt2";
  std::string message = parse_error(j);
  EXPECT_CONTAINS(message, kSource);
  EXPECT_CONTAINS(message, "unsupported model_type \"gpt2\"");
  EXPECT_CONTAINS(message, "llama, mistral, qwen2");

  j = llama_json();
  j["attention_bias"] = true;
  EXPECT_CONTAINS(parse_error(j), "attention_bias");
  j = llama_json();
  j["mlp_bias"] = true;
  EXPECT_CONTAINS(parse_error(j), "mlp_bias");
  j = llama_json();
  j["hidden_act"] = "gelu";
  EXPECT_CONTAINS(parse_error(j), "unsupported hidden_act \"gelu\"");
  j = llama_json();
  j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  EXPECT_CONTAINS(parse_error(j), "unsupported rope_scaling type \"yarn\"");
  j = llama_json();
  j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
  EXPECT_CONTAINS(parse_error(j), "missing required field \"rope_scaling.low_freq_factor\"");
}

TEST(ModelConfig, ValidateNamesTheBadField) {
  json j = llama_json();
  j["num_key_value_heads"] = 3;
  std::string message = parse_error(j);
  EXPECT_CONTAINS(message, kSource);
  EXPECT_CONTAINS(message, "n_heads 8 is not a multiple of n_kv_heads 3");

  j = llama_json();
  j["num_attention_heads"] = 65536;
  j["num_key_value_heads"] = 65536;
  j["head_dim"] = 65536;
  EXPECT_CONTAINS(parse_error(j), "n_heads * head_dim = 4294967296 is too large");

  ModelConfig c = testing::tiny_config();
  c.head_dim = 7;
  EXPECT_CONTAINS(error_of([&] { c.validate("cfg.yaml"); }), "cfg.yaml: head_dim must be even");
  c = testing::tiny_config();
  c.ffn_dim = 0;
  EXPECT_CONTAINS(error_of([&] { c.validate("cfg.yaml"); }), "ffn_dim must be positive");
  c = testing::tiny_config();
  c.eos_ids = {64};
  EXPECT_CONTAINS(error_of([&] { c.validate("cfg.yaml"); }), "eos id 64 is outside the vocabulary");
  EXPECT_NO_THROW(testing::tiny_config().validate("cfg.yaml"));
}

TEST(ModelConfig, HfJsonRoundTripIsExact) {
  std::vector<ModelConfig> configs = {testing::tiny_config("llama"),
                                      testing::tiny_config("mistral"),
                                      testing::tiny_config("qwen2")};
  ModelConfig llama3 = testing::tiny_config("llama");
  llama3.rope_theta = 500000.0;
  llama3.rope_scaling = Llama3RopeScaling{8.0, 1.0, 4.0, 8};
  llama3.norm_eps = 1e-5f;
  llama3.tied_embeddings = true;
  llama3.bos_id = 0;
  llama3.eos_ids = {3, 7, 9};
  llama3.head_dim = 16;
  configs.push_back(llama3);
  for (const ModelConfig& c : configs) {
    const json j = model_config_to_hf_json(c);
    EXPECT_EQ(j["hidden_act"], "silu");
    EXPECT_EQ(j["model_type"], c.architecture);
    // Through text too, as a file would go.
    const ModelConfig back = model_config_from_hf_json(json::parse(j.dump()), kSource);
    testing::expect_same_config(c, back);
  }
  EXPECT_EQ(model_config_to_hf_json(configs[0])["architectures"][0], "LlamaForCausalLM");
  EXPECT_EQ(model_config_to_hf_json(configs[1])["architectures"][0], "MistralForCausalLM");
  EXPECT_EQ(model_config_to_hf_json(configs[2])["architectures"][0], "Qwen2ForCausalLM");
  EXPECT_EQ(model_config_to_hf_json(llama3)["rms_norm_eps"].dump(), "1e-05");
}

TEST(ModelConfig, HfJsonRefusesBiasesOutsideQwen2) {
  ModelConfig c = testing::tiny_config("llama");
  c.qkv_bias = true;
  EXPECT_CONTAINS(error_of([&] { model_config_to_hf_json(c); }),
                  "qkv_bias = true cannot be expressed");
}

}  // namespace
}  // namespace gs
