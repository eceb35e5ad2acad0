// The real llama2.c files load with the stated configs, views point at the right
// bytes, and malformed files fail with messages naming the file.
#include "engine/checkpoint/llama2c_reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "test_util.h"

namespace gs {
namespace {

using testing::error_of;
using testing::shared_dir;

std::filesystem::path stories260k() {
  return shared_dir() / "models/stories260K/stories260K.bin";
}

// The f32 at element `index` after the 28-byte header, read straight from the bytes.
float float_at(const std::vector<char>& bytes, std::int64_t index) {
  float value;
  std::memcpy(&value, bytes.data() + 28 + index * 4, 4);
  return value;
}

float element(const TensorView& view, std::int64_t row, std::int64_t col) {
  float value;
  read_row_f32(view, row, col, col + 1, &value);
  return value;
}

TEST(Llama2cReader, Stories260kConfig) {
  const auto source = open_llama2c_checkpoint(stories260k());
  const ModelConfig& c = source->config();
  EXPECT_EQ(c.architecture, "llama");
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.ffn_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.max_seq_len, 512);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.rope_theta, 10000.0);
  EXPECT_EQ(c.norm_eps, 1e-5f);
  EXPECT_EQ(c.bos_id, 1);
  EXPECT_EQ(c.eos_ids, std::vector<int>{2});
  EXPECT_EQ(source->rotary_layout(), RotaryLayout::interleaved);
  EXPECT_CONTAINS(source->describe(), "stories260K.bin");
}

TEST(Llama2cReader, Stories260kViewsPointAtTheFileBytes) {
  const std::vector<char> bytes = testing::read_bytes(stories260k());
  const auto source = open_llama2c_checkpoint(stories260k());
  const std::int64_t dim = 64, hidden = 172, layers = 5, kv_dim = 32, vocab = 512;

  const TensorView embedding = source->tensor(WeightKind::token_embedding);
  EXPECT_EQ(embedding.shape, (std::vector<std::int64_t>{vocab, dim}));
  EXPECT_EQ(embedding.dtype, DType::f32);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(element(embedding, 0, i), float_at(bytes, i));
  EXPECT_EQ(element(embedding, 511, 63), float_at(bytes, vocab * dim - 1));

  // wq layer 1, row 3, column 5: after the embedding, all attn_norms and wq layer 0.
  const std::int64_t wq_start = vocab * dim + layers * dim;
  const TensorView wq1 = source->tensor(WeightKind::wq, 1);
  EXPECT_EQ(wq1.shape, (std::vector<std::int64_t>{dim, dim}));
  EXPECT_EQ(element(wq1, 3, 5), float_at(bytes, wq_start + dim * dim + 3 * dim + 5));

  // w_down (w2) layer 4, last element; w3 follows all of w2.
  const std::int64_t w1_start =
      wq_start + layers * (2 * dim * dim + 2 * kv_dim * dim) + layers * dim;
  const std::int64_t w2_start = w1_start + layers * hidden * dim;
  const TensorView w2 = source->tensor(WeightKind::w_down, 4);
  EXPECT_EQ(w2.shape, (std::vector<std::int64_t>{dim, hidden}));
  EXPECT_EQ(element(w2, dim - 1, hidden - 1),
            float_at(bytes, w2_start + layers * hidden * dim - 1));

  const TensorView final_norm = source->tensor(WeightKind::final_norm);
  EXPECT_EQ(final_norm.shape, (std::vector<std::int64_t>{dim}));
  EXPECT_EQ(element(final_norm, 0, 0), float_at(bytes, w2_start + 2 * layers * hidden * dim));
}

TEST(Llama2cReader, TiedModelHasNoLmHeadAndNoBiases) {
  const auto source = open_llama2c_checkpoint(stories260k());
  std::string message = error_of([&] { source->tensor(WeightKind::lm_head); });
  EXPECT_CONTAINS(message, "stories260K.bin");
  EXPECT_CONTAINS(message, "ties it to token_embedding");
  EXPECT_CONTAINS(error_of([&] { source->tensor(WeightKind::bq, 0); }), "no q/k/v biases");
  EXPECT_CONTAINS(error_of([&] { source->tensor(WeightKind::wk, 5); }),
                  "wk requested for layer 5 but the model has 5 layers");
  EXPECT_CONTAINS(error_of([&] { source->tensor(WeightKind::final_norm, 0); }), "not per layer");
}

TEST(Llama2cReader, RandomH8g2IsUntied) {
  const std::filesystem::path path = shared_dir() / "models/random-h8g2/model.bin";
  const auto source = open_llama2c_checkpoint(path);
  const ModelConfig& c = source->config();
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.ffn_dim, 172);
  EXPECT_EQ(c.n_layers, 3);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.max_seq_len, 256);
  EXPECT_FALSE(c.tied_embeddings);
  // The classifier is the last vocab * dim floats of the file.
  const std::vector<char> bytes = testing::read_bytes(path);
  const std::int64_t last = static_cast<std::int64_t>(bytes.size() - 28) / 4 - 1;
  const TensorView lm_head = source->tensor(WeightKind::lm_head);
  EXPECT_EQ(lm_head.shape, (std::vector<std::int64_t>{512, 64}));
  EXPECT_EQ(element(lm_head, 511, 63), float_at(bytes, last));
  EXPECT_EQ(element(lm_head, 0, 0), float_at(bytes, last + 1 - 512 * 64));
}

TEST(Llama2cReader, TinystoriesMhaHasAsManyKvHeadsAsQueryHeads) {
  const auto source = open_llama2c_checkpoint(shared_dir() / "models/tinystories-mha-1m/model.bin");
  const ModelConfig& c = source->config();
  EXPECT_EQ(c.dim, 128);
  EXPECT_EQ(c.ffn_dim, 344);
  EXPECT_EQ(c.n_layers, 4);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 8);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.max_seq_len, 256);
  EXPECT_FALSE(c.tied_embeddings);
  EXPECT_EQ(source->tensor(WeightKind::wk, 3).shape, (std::vector<std::int64_t>{128, 128}));
}

TEST(Llama2cReader, TruncatedFile) {
  testing::TempDir dir;
  std::vector<char> bytes = testing::read_bytes(stories260k());
  bytes.resize(1000000);
  testing::write_bytes(dir / "cut.bin", bytes);
  const std::string message = error_of([&] { open_llama2c_checkpoint(dir / "cut.bin"); });
  EXPECT_CONTAINS(message, "cut.bin");
  EXPECT_CONTAINS(message, "truncated");
  EXPECT_CONTAINS(message, "implies 1056540 bytes but the file has 1000000 bytes");
}

TEST(Llama2cReader, ExtraBytesMeanTheHeaderLies) {
  testing::TempDir dir;
  std::vector<char> bytes = testing::read_bytes(stories260k());
  bytes.resize(bytes.size() + 4);
  testing::write_bytes(dir / "long.bin", bytes);
  const std::string message = error_of([&] { open_llama2c_checkpoint(dir / "long.bin"); });
  EXPECT_CONTAINS(message, "long.bin");
  EXPECT_CONTAINS(message, "4 extra bytes");
}

TEST(Llama2cReader, BadHeaderValues) {
  testing::TempDir dir;
  const std::vector<char> original = testing::read_bytes(stories260k());
  auto with_field = [&](int index, std::int32_t value) {
    std::vector<char> bytes = original;
    std::memcpy(bytes.data() + 4 * index, &value, 4);
    testing::write_bytes(dir / "bad.bin", bytes);
    return error_of([&] { open_llama2c_checkpoint(dir / "bad.bin"); });
  };
  std::string message = with_field(4, 3);  // n_kv_heads 3 with 8 query heads
  EXPECT_CONTAINS(message, "bad.bin");
  EXPECT_CONTAINS(message, "n_heads 8 is not a multiple of n_kv_heads 3");
  EXPECT_CONTAINS(with_field(0, 0), "header dim must be positive");
  EXPECT_CONTAINS(with_field(3, 7), "dim 64 is not a multiple of n_heads 7");
  EXPECT_CONTAINS(with_field(5, 0), "vocab_size 0");
  EXPECT_CONTAINS(with_field(2, 1 << 30), "truncated");  // huge, but no overflow
  EXPECT_CONTAINS(with_field(1, 0x7fffffff), "truncated");
  EXPECT_CONTAINS(with_field(0, 1 << 30), "implies a size beyond 2^63 bytes");
  message = with_field(5, -512);  // claims an untied classifier the file does not have
  EXPECT_CONTAINS(message, "truncated");
}

TEST(Llama2cReader, TooSmallOrMissing) {
  testing::TempDir dir;
  testing::write_bytes(dir / "empty.bin", {});
  std::string message = error_of([&] { open_llama2c_checkpoint(dir / "empty.bin"); });
  EXPECT_CONTAINS(message, "empty.bin");
  EXPECT_CONTAINS(message, "too small");
  message = error_of([&] { open_llama2c_checkpoint(dir / "absent.bin"); });
  EXPECT_CONTAINS(message, "absent.bin");
  EXPECT_CONTAINS(message, "cannot open");
}

}  // namespace
}  // namespace gs
