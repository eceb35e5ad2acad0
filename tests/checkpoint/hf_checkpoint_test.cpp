// Hugging Face directories written by write_hf_checkpoint read back exactly (f32)
// or within rounding (f16/bf16), sharded or not, with wq/wk stored half-split.
#include "engine/checkpoint/hf_checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "engine/checkpoint/safetensors_reader.h"
#include "engine/checkpoint/safetensors_writer.h"
#include "test_util.h"

namespace gs {
namespace {

using nlohmann::json;
using testing::error_of;

DenseWeights random_model(const std::string& architecture, bool tied = false) {
  ModelConfig c = testing::tiny_config(architecture);
  c.tied_embeddings = tied;
  return random_dense_weights(c, 42);
}

// Rewrites dir/model.safetensors keeping only the tensors keep() accepts.
template <class Keep>
void rewrite_safetensors(const std::filesystem::path& dir, Keep keep) {
  const std::filesystem::path path = dir / "model.safetensors";
  const std::filesystem::path copy = dir / "original.safetensors";
  std::filesystem::rename(path, copy);
  {
    const SafetensorsFile original(copy);
    std::vector<SafetensorsEntry> entries;
    for (const auto& [name, view] : original.tensors())
      if (keep(name)) entries.push_back({name, view.dtype, view.shape});
    SafetensorsWriter writer(path, entries);
    for (const SafetensorsEntry& e : entries) {
      const TensorView* view = original.find(e.name);
      std::size_t bytes = dtype_size(view->dtype);
      for (std::int64_t extent : view->shape) bytes *= static_cast<std::size_t>(extent);
      writer.write_next({view->data, bytes});
    }
    writer.finish();
  }
  std::filesystem::remove(copy);
}

TEST(HfCheckpoint, F32RoundTripIsBitwise) {
  for (const auto& [architecture, tied] :
       {std::pair{"llama", false}, std::pair{"llama", true}, std::pair{"mistral", false},
        std::pair{"qwen2", false}}) {
    testing::TempDir dir;
    const DenseWeights original = random_model(architecture, tied);
    write_hf_checkpoint(original, dir.path(), DType::f32);
    const auto source = open_checkpoint(dir.path());
    EXPECT_EQ(source->rotary_layout(), RotaryLayout::half_split);
    EXPECT_CONTAINS(source->describe(), dir.path().string());
    testing::expect_same_weights(original, read_dense_weights(*source));
  }
}

TEST(HfCheckpoint, ConfigJsonRecordsTheDtype) {
  testing::TempDir dir;
  write_hf_checkpoint(random_model("llama"), dir.path(), DType::bf16);
  std::ifstream in(dir / "config.json");
  const json config = json::parse(in);
  EXPECT_EQ(config["torch_dtype"], "bfloat16");
  EXPECT_EQ(config["architectures"][0], "LlamaForCausalLM");
  const SafetensorsFile file(dir / "model.safetensors");
  EXPECT_EQ(file.find("model.embed_tokens.weight")->dtype, DType::bf16);
  EXPECT_EQ(file.metadata().at("format"), "pt");
}

TEST(HfCheckpoint, HalfPrecisionRoundTripWithinRounding) {
  for (DType dtype : {DType::f16, DType::bf16}) {
    testing::TempDir dir;
    const DenseWeights original = random_model("qwen2");
    write_hf_checkpoint(original, dir.path(), dtype);
    const DenseWeights back = read_dense_weights(*open_checkpoint(dir.path()));
    // Half an ulp, relative: 2^-11 for f16's 10 mantissa bits, 2^-8 for bf16's 7.
    const float relative = dtype == DType::f16 ? 0x1p-11f : 0x1p-8f;
    for (const auto& [key, values] : original.tensors) {
      const std::vector<float>& got = back.tensors.at(key);
      ASSERT_EQ(values.size(), got.size());
      for (std::size_t i = 0; i < values.size(); ++i) {
        const float bound = std::max(std::abs(values[i]) * relative, 0x1p-25f);
        ASSERT_LE(std::abs(values[i] - got[i]), bound)
            << dtype_name(dtype) << " " << weight_kind_name(key.first) << " element " << i;
        const float rounded = dtype == DType::f16 ? f16_to_f32(f32_to_f16(values[i]))
                                                  : bf16_to_f32(f32_to_bf16(values[i]));
        ASSERT_EQ(got[i], rounded);
      }
    }
  }
}

TEST(HfCheckpoint, QueryAndKeyRowsAreStoredHalfSplit) {
  testing::TempDir dir;
  const DenseWeights original = random_model("qwen2");
  write_hf_checkpoint(original, dir.path(), DType::f32);
  const SafetensorsFile file(dir / "model.safetensors");
  const int d = original.config.head_dim, dim = original.config.dim;
  auto stored_row = [&](const std::string& name, std::int64_t row, int cols) {
    std::vector<float> values(static_cast<std::size_t>(cols));
    const TensorView* view = file.find(name);
    if (view->shape.size() == 1) {
      read_row_f32(*view, 0, row, row + 1, values.data());
    } else {
      read_row_f32(*view, row, 0, cols, values.data());
    }
    return values;
  };
  auto interleaved_row = [&](WeightKind kind, std::int64_t row, int cols) {
    const std::vector<float>& all = original.at(kind, 1);
    return std::vector<float>(all.begin() + row * cols, all.begin() + (row + 1) * cols);
  };
  // Head 1, pair i = 2: half-split rows i and i + d/2 hold interleaved rows 2i and 2i + 1.
  const int head = 1, i = 2;
  EXPECT_EQ(stored_row("model.layers.1.self_attn.q_proj.weight", head * d + i, dim),
            interleaved_row(WeightKind::wq, head * d + 2 * i, dim));
  EXPECT_EQ(stored_row("model.layers.1.self_attn.q_proj.weight", head * d + i + d / 2, dim),
            interleaved_row(WeightKind::wq, head * d + 2 * i + 1, dim));
  EXPECT_EQ(stored_row("model.layers.1.self_attn.k_proj.weight", head * d + i + d / 2, dim),
            interleaved_row(WeightKind::wk, head * d + 2 * i + 1, dim));
  EXPECT_EQ(stored_row("model.layers.1.self_attn.q_proj.bias", head * d + i + d / 2, 1),
            interleaved_row(WeightKind::bq, head * d + 2 * i + 1, 1));
  EXPECT_EQ(stored_row("model.layers.1.self_attn.k_proj.bias", head * d + i, 1),
            interleaved_row(WeightKind::bk, head * d + 2 * i, 1));
  // Values and biases of V carry no rotary pairs and are stored as they are.
  EXPECT_EQ(stored_row("model.layers.1.self_attn.v_proj.weight", head * d + 1, dim),
            interleaved_row(WeightKind::wv, head * d + 1, dim));
}

TEST(HfCheckpoint, ShardedIndexLoadsLikeSingleFile) {
  testing::TempDir dir;
  const DenseWeights original = random_model("qwen2");
  write_hf_checkpoint(original, dir.path(), DType::f32);
  // Split model.safetensors into two shards: layer 1 and everything else.
  auto in_layer_1 = [](const std::string& name) { return name.rfind("model.layers.1.", 0) == 0; };
  json weight_map = json::object();
  {
    const SafetensorsFile single(dir / "model.safetensors");
    for (const auto& [name, view] : single.tensors())
      weight_map[name] = in_layer_1(name) ? "model-00002-of-00002.safetensors"
                                          : "model-00001-of-00002.safetensors";
  }
  std::filesystem::copy(dir / "model.safetensors", dir / "whole.safetensors");
  rewrite_safetensors(dir.path(), [&](const std::string& n) { return in_layer_1(n); });
  std::filesystem::rename(dir / "model.safetensors", dir / "model-00002-of-00002.safetensors");
  std::filesystem::rename(dir / "whole.safetensors", dir / "model.safetensors");
  rewrite_safetensors(dir.path(), [&](const std::string& n) { return !in_layer_1(n); });
  std::filesystem::rename(dir / "model.safetensors", dir / "model-00001-of-00002.safetensors");
  testing::write_text(dir / "model.safetensors.index.json",
                      json{{"metadata", json::object()}, {"weight_map", weight_map}}.dump());

  testing::expect_same_weights(original, read_dense_weights(*open_checkpoint(dir.path())));

  // A shard the index names but that is absent.
  weight_map["model.norm.weight"] = "model-00003-of-00002.safetensors";
  testing::write_text(dir / "model.safetensors.index.json",
                      json{{"weight_map", weight_map}}.dump());
  std::string message = error_of([&] { open_checkpoint(dir.path()); });
  EXPECT_CONTAINS(message, "model-00003-of-00002.safetensors");
  EXPECT_CONTAINS(message, "cannot open");
  // A tensor the index places in the wrong shard.
  weight_map["model.norm.weight"] = "model-00002-of-00002.safetensors";
  testing::write_text(dir / "model.safetensors.index.json",
                      json{{"weight_map", weight_map}}.dump());
  message = error_of([&] { open_checkpoint(dir.path()); });
  EXPECT_CONTAINS(message, "model-00002-of-00002.safetensors");
  EXPECT_CONTAINS(message, "model.norm.weight");
  EXPECT_CONTAINS(message, "missing from this file");
  testing::write_text(dir / "model.safetensors.index.json", "{\"metadata\": {}}");
  EXPECT_CONTAINS(error_of([&] { open_checkpoint(dir.path()); }), "no \"weight_map\"");
}

TEST(HfCheckpoint, MissingTensorIsNamed) {
  testing::TempDir dir;
  write_hf_checkpoint(random_model("llama"), dir.path(), DType::f32);
  rewrite_safetensors(
      dir.path(), [](const std::string& n) { return n != "model.layers.1.mlp.up_proj.weight"; });
  std::string message = error_of([&] { open_checkpoint(dir.path()); });
  EXPECT_CONTAINS(message, dir.path().string());
  EXPECT_CONTAINS(
      message,
      "model.layers.1.mlp.up_proj.weight (w_up (layer 1)) is missing from model.safetensors");
}

TEST(HfCheckpoint, UntiedModelNeedsLmHead) {
  testing::TempDir dir;
  write_hf_checkpoint(random_model("llama"), dir.path(), DType::f32);
  rewrite_safetensors(dir.path(), [](const std::string& n) { return n != "lm_head.weight"; });
  EXPECT_CONTAINS(error_of([&] { open_checkpoint(dir.path()); }), "lm_head.weight");
}

TEST(HfCheckpoint, TiedModelIgnoresAnLmHeadItDoesNotNeed) {
  testing::TempDir dir;
  write_hf_checkpoint(random_model("llama"), dir.path(), DType::f32);
  std::ifstream in(dir / "config.json");
  json config = json::parse(in);
  config["tie_word_embeddings"] = true;
  testing::write_text(dir / "config.json", config.dump());
  const auto source = open_checkpoint(dir.path());
  EXPECT_TRUE(source->config().tied_embeddings);
  EXPECT_CONTAINS(error_of([&] { source->tensor(WeightKind::lm_head); }),
                  "ties it to token_embedding");
}

TEST(HfCheckpoint, ShapeMismatchNamesBothShapes) {
  testing::TempDir dir;
  write_hf_checkpoint(random_model("llama"), dir.path(), DType::f32);
  std::ifstream in(dir / "config.json");
  json config = json::parse(in);
  config["intermediate_size"] = 40;
  testing::write_text(dir / "config.json", config.dump());
  const std::string message = error_of([&] { open_checkpoint(dir.path()); });
  EXPECT_CONTAINS(message, "model.safetensors");
  EXPECT_CONTAINS(message, "model.layers.0.mlp.gate_proj.weight");
  EXPECT_CONTAINS(message, "has shape (48, 32) but the config implies (40, 32)");
}

TEST(HfCheckpoint, BadConfigJson) {
  testing::TempDir dir;
  write_hf_checkpoint(random_model("llama"), dir.path(), DType::f32);
  std::ifstream in(dir / "config.json");
  const json good = json::parse(in);

  json config = good;
  config.erase("hidden_size");
  testing::write_text(dir / "config.json", config.dump());
  std::string message = error_of([&] { open_checkpoint(dir.path()); });
  EXPECT_CONTAINS(message, (dir / "config.json").string());
  EXPECT_CONTAINS(message, "hidden_size");

  config = good;
  config["model_type"] = "gemma";
  testing::write_text(dir / "config.json", config.dump());
  message = error_of([&] { open_checkpoint(dir.path()); });
  EXPECT_CONTAINS(message, "config.json");
  EXPECT_CONTAINS(message, "unsupported model_type \"gemma\"");

  testing::write_text(dir / "config.json", "{\"hidden_size\": ");
  message = error_of([&] { open_checkpoint(dir.path()); });
  EXPECT_CONTAINS(message, "config.json");
  EXPECT_CONTAINS(message, "not valid JSON");
}

TEST(HfCheckpoint, DirectoryWithoutWeights) {
  testing::TempDir dir;
  write_hf_checkpoint(random_model("llama"), dir.path(), DType::f32);
  std::filesystem::remove(dir / "model.safetensors");
  EXPECT_CONTAINS(error_of([&] { open_checkpoint(dir.path()); }),
                  "has neither model.safetensors nor model.safetensors.index.json");
  testing::write_text(dir / "pytorch_model.bin", "x");
  EXPECT_CONTAINS(error_of([&] { open_checkpoint(dir.path()); }),
                  "PyTorch .bin weights are not supported");
}

}  // namespace
}  // namespace gs
