// Random models, the in-memory source, and the llama2.c writer round trip.
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace gs {
namespace {

using testing::error_of;

TEST(DenseWeights, RandomIsReproducibleAndComplete) {
  const ModelConfig c = testing::tiny_config("qwen2");
  const DenseWeights a = random_dense_weights(c, 7);
  const DenseWeights b = random_dense_weights(c, 7);
  testing::expect_same_weights(a, b);
  EXPECT_NE(random_dense_weights(c, 8).at(WeightKind::wq, 0), a.at(WeightKind::wq, 0));
  // 1 embedding + 12 per layer with biases + final norm + lm_head.
  EXPECT_EQ(a.tensors.size(), 1u + 12u * c.n_layers + 2u);
  EXPECT_EQ(a.at(WeightKind::w_down, 1).size(), static_cast<std::size_t>(c.dim * c.ffn_dim));
  EXPECT_EQ(a.at(WeightKind::bk, 0).size(), static_cast<std::size_t>(c.n_kv_heads * c.head_dim));

  ModelConfig tied = testing::tiny_config("llama");
  tied.tied_embeddings = true;
  const DenseWeights t = random_dense_weights(tied, 7);
  EXPECT_EQ(t.tensors.count({WeightKind::lm_head, -1}), 0u);
  EXPECT_EQ(t.tensors.count({WeightKind::bq, 0}), 0u);
  EXPECT_CONTAINS(error_of([&] { t.at(WeightKind::lm_head); }), "DenseWeights: no tensor lm_head");
  EXPECT_CONTAINS(error_of([&] { t.at(WeightKind::bq, 1); }), "no tensor bq (layer 1)");
}

TEST(DenseWeights, RandomValuesHaveTheIntendedScale) {
  const ModelConfig c = testing::tiny_config("qwen2");
  const DenseWeights w = random_dense_weights(c, 1);
  auto max_abs = [](const std::vector<float>& v) {
    float m = 0;
    for (float x : v) m = std::max(m, std::abs(x));
    return m;
  };
  for (float x : w.at(WeightKind::attn_norm, 0)) EXPECT_NEAR(x, 1.0f, 0.1f);
  EXPECT_LE(max_abs(w.at(WeightKind::token_embedding)), 1.0f);
  EXPECT_GT(max_abs(w.at(WeightKind::token_embedding)), 0.9f);
  const float limit = std::sqrt(3.0f / c.dim);
  EXPECT_LE(max_abs(w.at(WeightKind::wq, 1)), limit);
  EXPECT_GT(max_abs(w.at(WeightKind::wq, 1)), 0.9f * limit);
  EXPECT_LE(max_abs(w.at(WeightKind::w_down, 0)), std::sqrt(3.0f / c.ffn_dim));
  EXPECT_LE(max_abs(w.at(WeightKind::bv, 0)), 0.1f);
  // The LM head (or the tied embedding serving as one) is scaled for logits of std ~2.
  EXPECT_LE(max_abs(w.at(WeightKind::lm_head)), 2 * limit);
  EXPECT_GT(max_abs(w.at(WeightKind::lm_head)), 1.8f * limit);
  ModelConfig tied = c;
  tied.tied_embeddings = true;
  EXPECT_LE(max_abs(random_dense_weights(tied, 1).at(WeightKind::token_embedding)), 2 * limit);
}

TEST(DenseWeights, InMemorySourceServesTheWeights) {
  auto weights =
      std::make_shared<DenseWeights>(random_dense_weights(testing::tiny_config("qwen2"), 3));
  const auto source = make_in_memory_source(weights);
  EXPECT_EQ(source->describe(), "in-memory model");
  EXPECT_EQ(source->rotary_layout(), RotaryLayout::interleaved);
  const TensorView wk = source->tensor(WeightKind::wk, 1);
  EXPECT_EQ(wk.dtype, DType::f32);
  EXPECT_EQ(wk.shape, (std::vector<std::int64_t>{16, 32}));
  float value;
  read_row_f32(wk, 5, 7, 8, &value);
  EXPECT_EQ(value, weights->at(WeightKind::wk, 1)[5 * 32 + 7]);
  testing::expect_same_weights(*weights, read_dense_weights(*source));
  EXPECT_CONTAINS(error_of([&] { source->tensor(WeightKind::wq, 2); }),
                  "in-memory model: wq requested for layer 2 but the model has 2 layers");

  auto incomplete = std::make_shared<DenseWeights>(*weights);
  incomplete->tensors.erase({WeightKind::w_up, 0});
  EXPECT_CONTAINS(error_of([&] { make_in_memory_source(incomplete); }), "no tensor w_up (layer 0)");
  incomplete = std::make_shared<DenseWeights>(*weights);
  incomplete->at(WeightKind::final_norm).pop_back();
  EXPECT_CONTAINS(error_of([&] { make_in_memory_source(incomplete); }),
                  "final_norm has 31 values but the config implies shape (32)");
}

TEST(DenseWeights, Llama2cRoundTripIsBitwise) {
  for (bool tied : {false, true}) {
    testing::TempDir dir;
    ModelConfig c = testing::tiny_config("llama");
    c.tied_embeddings = tied;
    const DenseWeights original = random_dense_weights(c, 11);
    write_llama2c_checkpoint(original, dir / "model.bin");
    // Header, all tensors, and the two RoPE tables of max_seq_len x head_dim/2.
    std::size_t floats = 0;
    for (const auto& [key, values] : original.tensors) floats += values.size();
    floats += 2u * c.max_seq_len * (c.head_dim / 2);
    EXPECT_EQ(std::filesystem::file_size(dir / "model.bin"), 28 + 4 * floats);
    const auto source = open_checkpoint(dir / "model.bin");
    testing::expect_same_weights(original, read_dense_weights(*source));
  }
}

TEST(DenseWeights, Llama2cRopeTablesFollowLlama2c) {
  testing::TempDir dir;
  const ModelConfig c = testing::tiny_config("llama");
  write_llama2c_checkpoint(random_dense_weights(c, 1), dir / "model.bin");
  const std::vector<char> bytes = testing::read_bytes(dir / "model.bin");
  // freq_cis_real starts after final_norm; untied, so lm_head (vocab x dim) ends the file.
  const std::size_t table = static_cast<std::size_t>(c.max_seq_len) * c.head_dim / 2;
  const std::size_t real_start = bytes.size() - 4 * (2 * table + c.vocab_size * c.dim);
  auto at = [&](std::size_t offset) {
    float v;
    std::memcpy(&v, bytes.data() + offset, 4);
    return v;
  };
  const int pos = 5, i = 1;
  const double angle = pos / std::pow(10000.0, 2.0 * i / c.head_dim);
  EXPECT_NEAR(at(real_start + 4 * (pos * c.head_dim / 2 + i)), std::cos(angle), 1e-6);
  EXPECT_NEAR(at(real_start + 4 * (table + pos * c.head_dim / 2 + i)), std::sin(angle), 1e-6);
}

TEST(DenseWeights, Llama2cWriterRefusesWhatTheFormatCannotHold) {
  testing::TempDir dir;
  auto refusal = [&](const ModelConfig& c) {
    return error_of([&] { write_llama2c_checkpoint(random_dense_weights(c, 1), dir / "x.bin"); });
  };
  std::string message = refusal(testing::tiny_config("qwen2"));
  EXPECT_CONTAINS(message, "x.bin");
  EXPECT_CONTAINS(message, "cannot hold q/k/v biases");
  ModelConfig c = testing::tiny_config();
  c.head_dim = 16;
  EXPECT_CONTAINS(refusal(c), "head_dim == dim / n_heads");
  c = testing::tiny_config();
  c.rope_theta = 500000;
  EXPECT_CONTAINS(refusal(c), "theta 10000");
  c = testing::tiny_config();
  c.norm_eps = 1e-6f;
  EXPECT_CONTAINS(refusal(c), "norm_eps at 1e-5");
  c = testing::tiny_config();
  c.eos_ids = {2, 3};
  EXPECT_CONTAINS(refusal(c), "bos 1 and eos 2");
}

TEST(DenseWeights, HfThenLlama2cPreservesTheModel) {
  // An interleaved model through HF (half-split on disk) and back out as llama2.c.
  testing::TempDir dir;
  const DenseWeights original = random_dense_weights(testing::tiny_config("llama"), 5);
  write_hf_checkpoint(original, dir / "hf", DType::f32);
  DenseWeights from_hf = read_dense_weights(*open_checkpoint(dir / "hf"));
  from_hf.config.norm_eps = original.config.norm_eps;
  write_llama2c_checkpoint(from_hf, dir / "model.bin");
  testing::expect_same_weights(original, read_dense_weights(*open_checkpoint(dir / "model.bin")));
}

}  // namespace
}  // namespace gs
