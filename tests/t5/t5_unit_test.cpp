// T5 pieces that need no model run: relative-position buckets against values worked
// out by hand from the definition, config parsing and its errors, checkpoint errors.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/model_family.h"
#include "engine/t5/t5_checkpoint.h"
#include "engine/t5/t5_config.h"
#include "engine/t5/t5_model.h"
#include "engine/t5/t5_random_checkpoint.h"
#include "common/check.h"

namespace gs {
namespace {

// bucket(r) for r = key - query. Bidirectional, 32 buckets, max_distance 128: 16 per
// direction, |r| < 8 exact, then 8 + floor(log(|r|/8) / log(16) * 8) up to 15, +16 when
// the key is after the query. Causal: future keys are bucket 0, |r| < 16 exact, then
// 16 + floor(log(|r|/16) / log(8) * 16) up to 31.
TEST(T5RelativeBuckets, BidirectionalByHand) {
  const std::pair<int, int> cases[] = {
      {0, 0},   {-1, 1},   {1, 17},   {-7, 7},   {7, 23},   {-8, 8},    {8, 24},
      {-12, 9},  // log(1.5)/log(16)*8 = 1.17
      {-20, 10}, {20, 26},  // log(2.5)/log(16)*8 = 2.64
      {-100, 15}, {100, 31},  // 7.29
      {-127, 15}, {-128, 15}, {128, 31}, {-500, 15}, {500, 31}, {-100000, 15}};
  for (const auto& [r, want] : cases) EXPECT_EQ(t5_relative_position_bucket(r, true, 32, 128), want) << "r = " << r;
}

TEST(T5RelativeBuckets, CausalByHand) {
  const std::pair<int, int> cases[] = {
      {5, 0},   {0, 0},   {-1, 1},  {-15, 15},
      {-20, 17},   // log(1.25)/log(8)*16 = 1.72
      {-100, 30},  // log(6.25)/log(8)*16 = 14.10
      {-127, 31},  // 15.94
      {-128, 31}, {-200, 31}, {-100000, 31}};
  for (const auto& [r, want] : cases) EXPECT_EQ(t5_relative_position_bucket(r, false, 32, 128), want) << "r = " << r;
}

TEST(T5RelativeBuckets, SmallTablesOfTheTestModels) {
  // 16 buckets, max_distance 12 (t5-v1_0-mha): bidirectional 8 per side, |r| < 4 exact,
  // 4 + floor(log(|r|/4)/log(3)*4) capped at 7: r=-5 -> 4 + 0.81 = 4, r=-9 -> 4 + 2.95 = 6, r=-12 -> 8 -> 7.
  EXPECT_EQ(t5_relative_position_bucket(-3, true, 16, 12), 3);
  EXPECT_EQ(t5_relative_position_bucket(-5, true, 16, 12), 4);
  EXPECT_EQ(t5_relative_position_bucket(-9, true, 16, 12), 6);
  EXPECT_EQ(t5_relative_position_bucket(9, true, 16, 12), 14);
  EXPECT_EQ(t5_relative_position_bucket(-12, true, 16, 12), 7);
  EXPECT_EQ(t5_relative_position_bucket(40, true, 16, 12), 15);
}

nlohmann::json base_config() {
  return {{"model_type", "t5"}, {"d_model", 32}, {"d_kv", 8},  {"d_ff", 64}, {"num_layers", 2},
          {"num_heads", 4},     {"vocab_size", 128}, {"feed_forward_proj", "gated-gelu"}};
}

TEST(T5Config, ReadsHuggingFaceFieldsAndDefaults) {
  const T5Config c = t5_config_from_hf_json(base_config(), "config.json");
  EXPECT_EQ(c.n_decoder_layers, 2);
  EXPECT_EQ(c.n_kv_heads, 4);  // absent: MHA
  EXPECT_TRUE(c.gated);
  EXPECT_EQ(c.activation, kernels::Activation::gelu_tanh);  // HF: gated-gelu means gelu_new
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ(c.relative_buckets, 32);
  EXPECT_EQ(c.relative_max_distance, 128);
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-6f);
  nlohmann::json j = base_config();
  j["feed_forward_proj"] = "relu";
  j["num_key_value_heads"] = 2;
  j["tie_word_embeddings"] = false;
  const T5Config d = t5_config_from_hf_json(j, "config.json");
  EXPECT_FALSE(d.gated);
  EXPECT_EQ(d.activation, kernels::Activation::relu);
  EXPECT_EQ(d.n_kv_heads, 2);
  EXPECT_EQ(d.encoder_shape().n_kv_heads, 4);  // the encoder stays multi-head
  EXPECT_EQ(d.decoder_shape().n_kv_heads, 2);
  j["feed_forward_proj"] = "gated-silu";
  EXPECT_EQ(t5_config_from_hf_json(j, "c").activation, kernels::Activation::silu);
  EXPECT_TRUE(is_t5_hf_config(j));
  EXPECT_FALSE(is_t5_hf_config({{"model_type", "llama"}}));
}

void expect_config_error(nlohmann::json j, const std::string& fragment) {
  try {
    t5_config_from_hf_json(j, "config.json");
    ADD_FAILURE() << "accepted " << j.dump();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(T5Config, BadValuesAreNamed) {
  nlohmann::json j = base_config();
  j["num_key_value_heads"] = 3;
  expect_config_error(j, "num_key_value_heads = 3 must divide num_heads = 4");
  j = base_config();
  j.erase("d_kv");
  expect_config_error(j, "no \"d_kv\"");
  j = base_config();
  j["feed_forward_proj"] = "gated-tanh-x";
  expect_config_error(j, "feed_forward_proj");
  j = base_config();
  j["feed_forward_proj"] = "softplus";
  expect_config_error(j, "'softplus' is not supported");
  j = base_config();
  j["num_heads"] = 65536;
  j["num_key_value_heads"] = 65536;
  j["d_kv"] = 65536;
  expect_config_error(j, "num_heads * d_kv = 4294967296 is too large");
}

// Found by fuzzing `--random-model`: h*d beyond int overflowed before any check.
TEST(T5RandomShape, WidthBeyondIntIsRefused) {
  EXPECT_EQ(parse_t5_random_shape("t5:h=8,g=2,d=64,enc_layers=2,dec_layers=1,ffn=32,vocab=64").config(16).d_model, 512);
  try {
    parse_t5_random_shape("t5:h=8,g=2,d=1111111164,enc_layers=2,dec_layers=2,ffn=1024,vocab=3128");
    FAIL() << "accepted a width of 8 * 1111111164";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the model width h*d is too large"), std::string::npos) << e.what();
  }
}

TEST(T5Plans, TpBeyondGroupsReplicatesAndUnevenDealsAreReported) {
  nlohmann::json j = base_config();
  j["num_heads"] = 8;
  j["d_kv"] = 4;
  j["num_key_value_heads"] = 2;
  const T5Config c = t5_config_from_hf_json(j, "c");
  const ShardPlan dec = t5_decoder_plan(c, 4, ShardStrategy::group);
  EXPECT_EQ(dec.max_replication(), 2);
  const ShardPlan enc = t5_encoder_plan(c, 4, ShardStrategy::group);
  EXPECT_EQ(enc.max_replication(), 1);
  EXPECT_EQ(enc.rank(3).q_heads.size(), 2);
  try {
    t5_decoder_plan(c, 3, ShardStrategy::group);
    ADD_FAILURE() << "GQA-2 dealt over 3 ranks";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("T5 decoder"), std::string::npos) << e.what();
  }
}

// A copy of a test model with one file edited.
std::filesystem::path copy_model(const std::string& name, const std::string& label) {
  const std::filesystem::path to = std::filesystem::temp_directory_path() / ("gs_t5_" + label);
  std::filesystem::remove_all(to);
  std::filesystem::copy(std::string(GS_T5_DATA_DIR) + "/" + name, to);
  return to;
}

TEST(T5Checkpoint, OpensTheTestModels) {
  for (const char* name : {"t5-v1_0-mha", "t5-v1_1-gqa2", "t5-v1_1-gqa4-bf16"}) {
    const std::filesystem::path dir = std::string(GS_T5_DATA_DIR) + "/" + name;
    EXPECT_TRUE(is_t5_checkpoint(dir));
    const T5Checkpoint c(dir);
    EXPECT_EQ(c.embedding().name, "shared.weight");
  }
  EXPECT_FALSE(is_t5_checkpoint(std::string(GS_T5_DATA_DIR)));
}

TEST(T5Checkpoint, MissingRelativeBiasIsNamed) {
  // Rename the encoder's relative bias tensor inside the safetensors header (same length).
  const std::filesystem::path dir = copy_model("t5-v1_1-gqa2", "missing_bias");
  const std::filesystem::path file = dir / "model.safetensors";
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::string name = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
  const std::size_t at = bytes.find(name);
  ASSERT_NE(at, std::string::npos);
  f.seekp(static_cast<std::streamoff>(at + name.find("relative")));
  f.write("RELATIVE", 8);
  f.close();
  try {
    T5Checkpoint c(dir);
    ADD_FAILURE() << "opened a T5 checkpoint without its relative bias";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("relative_attention_bias.weight is missing"), std::string::npos) << e.what();
  }
}

TEST(T5Checkpoint, GroupsNotDividingHeadsAreNamed) {
  const std::filesystem::path dir = copy_model("t5-v1_1-gqa2", "bad_groups");
  std::ifstream in(dir / "config.json");
  nlohmann::json j = nlohmann::json::parse(in);
  in.close();
  j["num_key_value_heads"] = 3;
  std::ofstream(dir / "config.json") << j.dump();
  EXPECT_THROW(T5Checkpoint c(dir), Error);
}

TEST(ModelFamilies, EachCheckpointGoesToItsFamily) {
  EXPECT_EQ(model_family_of(std::string(GS_T5_DATA_DIR) + "/t5-v1_1-gqa2"), ModelFamily::t5);
  EXPECT_EQ(model_family_of(std::string(GS_T5_DATA_DIR) + "/../t5_unit_test.cpp"), ModelFamily::llama);
  EXPECT_EQ(model_family_of("/no/such/model.bin"), ModelFamily::llama);  // its reader names the problem
  EXPECT_EQ(model_family_name(ModelFamily::t5), "t5");
  EXPECT_EQ(model_families().back().family, ModelFamily::llama);
}

}  // namespace
}  // namespace gs
