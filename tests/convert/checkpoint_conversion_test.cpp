// convert_checkpoint on random models written in both formats: the converted
// file read back by the checkpoint readers must hold exactly the weights the
// paper's conversion defines, computed here from the query-head grouping.
#include <gtest/gtest.h>

#include <cmath>

#include "../checkpoint/test_util.h"
#include "expected_conversion.h"
#include "engine/checkpoint/weight_inventory.h"
#include "engine/convert/checkpoint_conversion.h"

namespace gs {
namespace {

using testing::expected_conversion;
using testing::is_kv;
using testing::TempDir;

ModelConfig make_config(int heads, int kv_groups, const std::string& architecture = "llama") {
  ModelConfig c;
  c.architecture = architecture;
  c.qkv_bias = architecture == "qwen2";
  c.dim = 48;
  c.ffn_dim = 40;
  c.n_layers = 2;
  c.n_heads = heads;
  c.n_kv_heads = kv_groups;
  c.head_dim = 48 / heads;
  c.vocab_size = 64;
  c.max_seq_len = 16;
  return c;
}

DenseWeights convert_and_read(const WeightSource& source, const ConversionSpec& spec,
                              const std::filesystem::path& out) {
  convert_checkpoint(source, spec, out);
  return read_dense_weights(*open_checkpoint(out));
}

void expect_close_weights(const DenseWeights& actual, const DenseWeights& expected) {
  testing::expect_same_config(actual.config, expected.config);
  ASSERT_EQ(actual.tensors.size(), expected.tensors.size());
  for (const auto& [key, values] : expected.tensors) {
    const std::vector<float>& got = actual.at(key.first, key.second);
    ASSERT_EQ(got.size(), values.size()) << weight_label(key.first, key.second);
    int bad = 0;
    for (std::size_t i = 0; i < values.size() && bad < 5; ++i) {
      // Weights are O(0.1): float rounding of a mean of a few is far below 1e-7.
      if (std::abs(got[i] - values[i]) > 1e-7f + 1e-6f * std::abs(values[i])) {
        ADD_FAILURE() << weight_label(key.first, key.second) << "[" << i << "] = " << got[i]
                      << ", expected " << values[i];
        ++bad;
      }
    }
  }
}

std::string file_bytes(const std::filesystem::path& path) {
  const std::vector<char> bytes = testing::read_bytes(path);
  return {bytes.begin(), bytes.end()};
}

TEST(CheckpointConversion, MeanPoolsMhaFromLlama2c) {
  TempDir dir;
  const DenseWeights mha = random_dense_weights(make_config(8, 8), 11);
  write_llama2c_checkpoint(mha, dir / "mha.bin");
  for (int groups : {4, 2, 1}) {
    SCOPED_TRACE("G = " + std::to_string(groups));
    const DenseWeights got = convert_and_read(*open_checkpoint(dir / "mha.bin"),
                                              {groups, KvInit::mean}, dir / "out");
    EXPECT_EQ(got.config.n_kv_heads, groups);
    expect_close_weights(got, expected_conversion(mha, groups, KvInit::mean));
    std::filesystem::remove_all(dir / "out");
  }
}

TEST(CheckpointConversion, MeanPoolsGroupsAndBiasesFromHf) {
  TempDir dir;
  ModelConfig config = make_config(8, 4, "qwen2");
  config.tied_embeddings = true;
  const DenseWeights gqa = random_dense_weights(config, 12);
  write_hf_checkpoint(gqa, dir / "gqa", DType::f32);
  const DenseWeights got = convert_and_read(*open_checkpoint(dir / "gqa"), {2, KvInit::mean}, dir / "out");
  expect_close_weights(got, expected_conversion(gqa, 2, KvInit::mean));
  // A bias element by hand: pooled head 1, row 3 = mean of old heads 2 and 3.
  const int d = config.head_dim;
  const std::vector<float>& bk = gqa.at(WeightKind::bk, 1);
  EXPECT_FLOAT_EQ(got.at(WeightKind::bk, 1)[d + 3], (bk[2 * d + 3] + bk[3 * d + 3]) / 2);
}

TEST(CheckpointConversion, FirstKeepsTheFirstHeadOfEachGroup) {
  TempDir dir;
  const DenseWeights mha = random_dense_weights(make_config(8, 8), 13);
  write_llama2c_checkpoint(mha, dir / "mha.bin");
  const DenseWeights got = convert_and_read(*open_checkpoint(dir / "mha.bin"),
                                            {2, KvInit::first}, dir / "out");
  const DenseWeights expected = expected_conversion(mha, 2, KvInit::first);
  testing::expect_same_weights(got, expected);
  // Group 1 is head 4, row for row.
  const std::size_t head = mha.at(WeightKind::wv, 0).size() / 8;
  EXPECT_TRUE(std::equal(got.at(WeightKind::wv, 0).begin() + head, got.at(WeightKind::wv, 0).end(),
                         mha.at(WeightKind::wv, 0).begin() + 4 * head));
}

TEST(CheckpointConversion, ExpandingThenMeanPoolingGivesTheOriginalBack) {
  TempDir dir;
  const DenseWeights gqa = random_dense_weights(make_config(8, 2), 14);
  write_llama2c_checkpoint(gqa, dir / "gqa.bin");
  const DenseWeights mha = convert_and_read(*open_checkpoint(dir / "gqa.bin"), {8, KvInit::mean}, dir / "mha");
  testing::expect_same_weights(mha, expected_conversion(gqa, 8, KvInit::mean));
  const DenseWeights back = convert_and_read(*open_checkpoint(dir / "mha"), {2, KvInit::mean}, dir / "back");
  testing::expect_same_weights(back, gqa);
}

TEST(CheckpointConversion, SameFileFromEitherInputFormat) {
  TempDir dir;
  const DenseWeights mha = random_dense_weights(make_config(8, 8), 15);
  write_llama2c_checkpoint(mha, dir / "mha.bin");
  write_hf_checkpoint(mha, dir / "mha_hf", DType::f32);
  for (KvInit init : {KvInit::mean, KvInit::first, KvInit::random}) {
    SCOPED_TRACE(kv_init_name(init));
    convert_checkpoint(*open_checkpoint(dir / "mha.bin"), {2, init, 3}, dir / "from_bin");
    convert_checkpoint(*open_checkpoint(dir / "mha_hf"), {2, init, 3}, dir / "from_hf");
    EXPECT_EQ(file_bytes(dir / "from_bin/model.safetensors"), file_bytes(dir / "from_hf/model.safetensors"));
  }
}

double rms(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s / v.size());
}

double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ab += static_cast<double>(a[i]) * b[i];
  return ab / a.size() / (rms(a) * rms(b));
}

TEST(CheckpointConversion, RandomIsSeededRepeatableAndKeepsTheScale) {
  TempDir dir;
  const DenseWeights mha = random_dense_weights(make_config(8, 8), 16);
  write_llama2c_checkpoint(mha, dir / "mha.bin");
  const std::unique_ptr<WeightSource> source = open_checkpoint(dir / "mha.bin");
  convert_checkpoint(*source, {2, KvInit::random, 5}, dir / "a");
  convert_checkpoint(*source, {2, KvInit::random, 5}, dir / "a_again");
  convert_checkpoint(*source, {2, KvInit::random, 6}, dir / "b");
  EXPECT_EQ(file_bytes(dir / "a/model.safetensors"), file_bytes(dir / "a_again/model.safetensors"));
  EXPECT_NE(file_bytes(dir / "a/model.safetensors"), file_bytes(dir / "b/model.safetensors"));

  const DenseWeights a = read_dense_weights(*open_checkpoint(dir / "a"));
  const DenseWeights b = read_dense_weights(*open_checkpoint(dir / "b"));
  for (const WeightId& id : model_weights(a.config)) {
    const std::vector<float>& va = a.at(id.kind, id.layer);
    if (!is_kv(id.kind)) {
      EXPECT_EQ(va, mha.at(id.kind, id.layer)) << weight_label(id.kind, id.layer);
      continue;
    }
    EXPECT_NE(va, b.at(id.kind, id.layer)) << weight_label(id.kind, id.layer);
    EXPECT_NE(va, expected_conversion(mha, 2, KvInit::mean).at(id.kind, id.layer));
    EXPECT_NEAR(rms(va) / rms(mha.at(id.kind, id.layer)), 1.0, 0.1) << weight_label(id.kind, id.layer);
  }
  // Each tensor draws from its own stream: unrelated, not merely rescaled, values.
  EXPECT_LT(std::abs(correlation(a.at(WeightKind::wk, 0), a.at(WeightKind::wk, 1))), 0.3);
  EXPECT_LT(std::abs(correlation(a.at(WeightKind::wk, 0), a.at(WeightKind::wv, 0))), 0.3);
}

TEST(CheckpointConversion, HalfPrecisionOutputsHoldTheRoundedWeights) {
  TempDir dir;
  const DenseWeights mha = random_dense_weights(make_config(8, 8), 17);
  write_llama2c_checkpoint(mha, dir / "mha.bin");
  const DenseWeights f32 = convert_and_read(*open_checkpoint(dir / "mha.bin"), {4, KvInit::mean}, dir / "f32");
  for (DType dtype : {DType::f16, DType::bf16}) {
    SCOPED_TRACE(dtype_name(dtype));
    const std::filesystem::path out = dir / dtype_name(dtype);
    const DenseWeights got = convert_and_read(*open_checkpoint(dir / "mha.bin"), {4, KvInit::mean, 0, dtype}, out);
    EXPECT_EQ(open_checkpoint(out)->tensor(WeightKind::wk, 0).dtype, dtype);
    // Each value is the f32 conversion rounded once to the dtype.
    const double relative = dtype == DType::f16 ? 0x1p-11 : 0x1p-8;
    for (const auto& [key, values] : f32.tensors) {
      const std::vector<float>& rounded = got.at(key.first, key.second);
      for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint16_t bits[1];
        convert_from_f32(&values[i], 1, dtype, reinterpret_cast<std::byte*>(bits));
        float back;
        convert_to_f32(reinterpret_cast<const std::byte*>(bits), dtype, 1, &back);
        ASSERT_EQ(rounded[i], back) << weight_label(key.first, key.second) << "[" << i << "]";
        ASSERT_LE(std::abs(rounded[i] - values[i]), relative * std::abs(values[i]) + 1e-7);
      }
    }
  }
}

TEST(CheckpointConversion, ReportsProgressUpToTheTensorBytes) {
  TempDir dir;
  const DenseWeights mha = random_dense_weights(make_config(8, 8), 18);
  write_llama2c_checkpoint(mha, dir / "mha.bin");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  convert_checkpoint(*open_checkpoint(dir / "mha.bin"), {2, KvInit::mean, 0, DType::bf16}, dir / "out",
                     [&](std::uint64_t done, std::uint64_t total) { calls.emplace_back(done, total); });
  ASSERT_EQ(calls.size(), model_weights(converted_config(mha.config, 2)).size() + 1);
  EXPECT_EQ(calls.front().first, 0u);
  const std::uint64_t total = calls.front().second;
  for (std::size_t i = 1; i < calls.size(); ++i) {
    EXPECT_GT(calls[i].first, calls[i - 1].first);
    EXPECT_EQ(calls[i].second, total);
  }
  EXPECT_EQ(calls.back().first, total);
  // The file is its 8-byte length, the header, then exactly those bytes.
  const std::string bytes = file_bytes(dir / "out/model.safetensors");
  std::uint64_t header = 0;
  std::memcpy(&header, bytes.data(), 8);
  EXPECT_EQ(bytes.size(), 8 + header + total);
}

TEST(CheckpointConversion, ImpossibleGroupCountsAreRefusedBeforeWriting) {
  TempDir dir;
  const auto source = make_in_memory_source(
      std::make_shared<const DenseWeights>(random_dense_weights(make_config(12, 4), 19)));
  EXPECT_CONTAINS(testing::error_of([&] { convert_checkpoint(*source, {5, KvInit::mean}, dir / "g5"); }),
                  "5 does not divide the model's 12 query heads");
  EXPECT_CONTAINS(testing::error_of([&] { convert_checkpoint(*source, {3, KvInit::mean}, dir / "g3"); }),
                  "the model has 4");
  EXPECT_CONTAINS(testing::error_of([&] { convert_checkpoint(*source, {0, KvInit::mean}, dir / "g0"); }),
                  "need at least 1");
  EXPECT_FALSE(std::filesystem::exists(dir / "g5"));
  EXPECT_FALSE(std::filesystem::exists(dir / "g3"));
}

}  // namespace
}  // namespace gs
