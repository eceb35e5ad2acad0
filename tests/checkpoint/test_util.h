// Helpers shared by the checkpoint tests: a scratch directory, raw file I/O,
// small configs, and comparisons of configs and weights.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/checkpoint/dense_weights.h"
#include "engine/model_config.h"
#include "common/check.h"

namespace gs::testing {

inline std::filesystem::path shared_dir() {
  return GS_SHARED_DIR;
}

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    path_ = std::filesystem::temp_directory_path() /
            ("gs_checkpoint_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
             "_" + test);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::vector<char> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  write_bytes(path, std::vector<char>(text.begin(), text.end()));
}

// The message of the gs::Error that f throws, or a marker that none was thrown.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const gs::Error& e) {
    return e.what();
  }
  return "(no gs::Error thrown)";
}

#define EXPECT_CONTAINS(text, fragment)                          \
  EXPECT_NE(std::string(text).find(fragment), std::string::npos) \
      << "expected \"" << (fragment) << "\" in: " << (text)

// A small GQA model: 4 query heads in 2 KV groups of head_dim 8.
inline ModelConfig tiny_config(const std::string& architecture = "llama") {
  ModelConfig c;
  c.architecture = architecture;
  c.dim = 32;
  c.ffn_dim = 48;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 8;
  c.vocab_size = 64;
  c.max_seq_len = 16;
  c.qkv_bias = architecture == "qwen2";
  return c;
}

inline void expect_same_config(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.architecture, b.architecture);
  EXPECT_EQ(a.dim, b.dim);
  EXPECT_EQ(a.ffn_dim, b.ffn_dim);
  EXPECT_EQ(a.n_layers, b.n_layers);
  EXPECT_EQ(a.n_heads, b.n_heads);
  EXPECT_EQ(a.n_kv_heads, b.n_kv_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.max_seq_len, b.max_seq_len);
  EXPECT_EQ(a.rope_theta, b.rope_theta);
  ASSERT_EQ(a.rope_scaling.has_value(), b.rope_scaling.has_value());
  if (a.rope_scaling) {
    EXPECT_EQ(a.rope_scaling->factor, b.rope_scaling->factor);
    EXPECT_EQ(a.rope_scaling->low_freq_factor, b.rope_scaling->low_freq_factor);
    EXPECT_EQ(a.rope_scaling->high_freq_factor, b.rope_scaling->high_freq_factor);
    EXPECT_EQ(a.rope_scaling->original_max_position, b.rope_scaling->original_max_position);
  }
  EXPECT_EQ(a.norm_eps, b.norm_eps);
  EXPECT_EQ(a.tied_embeddings, b.tied_embeddings);
  EXPECT_EQ(a.qkv_bias, b.qkv_bias);
  EXPECT_EQ(a.bos_id, b.bos_id);
  EXPECT_EQ(a.eos_ids, b.eos_ids);
}

// Same tensors with bit-identical values.
inline void expect_same_weights(const DenseWeights& a, const DenseWeights& b) {
  expect_same_config(a.config, b.config);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [key, values] : a.tensors) {
    auto it = b.tensors.find(key);
    ASSERT_NE(it, b.tensors.end()) << weight_kind_name(key.first) << " layer " << key.second;
    ASSERT_EQ(values.size(), it->second.size());
    EXPECT_EQ(std::memcmp(values.data(), it->second.data(), values.size() * sizeof(float)), 0)
        << weight_kind_name(key.first) << " layer " << key.second << " differs";
  }
}

}  // namespace gs::testing
