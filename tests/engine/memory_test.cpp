// Invariant 3: a rank's memory holds its slice, not the model. Measured, not
// counted: the growth of the process's anonymous resident memory (RssAnon) while a
// rank's slices are copied out of a mapped checkpoint (mapped file pages are
// RssFile and are released with the mapping).
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "engine/checkpoint/dense_weights.h"
#include "engine/llama_weights.h"
#include "kernels/backend.h"

namespace gs {
namespace {

long rss_anon_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "RssAnon:") {
      status >> value;
      return value;
    }
    status.ignore(1 << 10, '\n');
  }
  return -1;
}

// Resident growth while loading rank `rank` of a tp-way plan, and the bytes the
// weights say they hold.
struct Loaded {
  long resident_kib;
  std::int64_t counted_bytes;
};

Loaded load_rank(const std::filesystem::path& path, int tp, int rank,
                 DType type = DType::f32) {
  const std::unique_ptr<WeightSource> source = open_checkpoint(path);
  const ShardPlan plan = ShardPlan::make(source->config().shape(), tp, ShardStrategy::group);
  const auto backend = kernels::make_backend(kernels::BackendKind::cpu, {});
  const long before = rss_anon_kib();
  const LlamaWeights weights = LlamaWeights::load(*source, plan, rank, *backend, type);
  return {rss_anon_kib() - before, weights.bytes()};
}

long resident_kib_for(const std::filesystem::path& path, int tp, int rank) {
  return load_rank(path, tp, rank).resident_kib;
}

// Weights dominate: 4 layers of dim 512 and ffn 1536 (~45 MB), embedding 1 MB.
ModelConfig memory_test_config() {
  ModelConfig config;
  config.dim = 512;
  config.ffn_dim = 1536;
  config.n_layers = 4;
  config.n_heads = 8;
  config.n_kv_heads = 4;
  config.head_dim = 64;
  config.vocab_size = 512;
  config.max_seq_len = 64;
  return config;
}

TEST(Memory, ResidentWeightsPerRankAtTpFourAreAtMostAThirdOfTpOne) {
  const ModelConfig config = memory_test_config();
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "groupshard_memory_test.bin";
  write_llama2c_checkpoint(random_dense_weights(config, 5), path);

  ASSERT_GT(rss_anon_kib(), 0) << "/proc/self/status has no RssAnon";
  const long full = resident_kib_for(path, 1, 0);
  long worst_quarter = 0;
  for (int rank = 0; rank < 4; ++rank) worst_quarter = std::max(worst_quarter, resident_kib_for(path, 4, rank));
  std::filesystem::remove(path);

  const double ratio = static_cast<double>(worst_quarter) / full;
  std::printf("resident weights: tp=1 %ld KiB, tp=4 worst rank %ld KiB, ratio %.3f\n", full, worst_quarter, ratio);
  EXPECT_GT(full, 40 * 1024) << "tp = 1 should hold the whole ~45 MB model";
  EXPECT_LE(ratio, 0.35);
}

TEST(Memory, Bf16WeightsHoldHalfTheBytesAndTheyAreCountedExactly) {
  const ModelConfig config = memory_test_config();
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "groupshard_memory_bf16_test.bin";
  write_llama2c_checkpoint(random_dense_weights(config, 6), path);
  const Loaded f32 = load_rank(path, 1, 0, DType::f32);
  const Loaded bf16 = load_rank(path, 1, 0, DType::bf16);
  std::filesystem::remove(path);

  // Matrices (the embedding and the LM head too) at 2 bytes in bf16, norms at 4.
  const std::int64_t dim = config.dim, q = config.n_heads * config.head_dim,
                     kv = config.n_kv_heads * config.head_dim;
  const std::int64_t matrices = 2 * config.vocab_size * dim +
                                config.n_layers * (2 * q * dim + 2 * kv * dim + 3 * config.ffn_dim * dim);
  const std::int64_t norms = (2 * config.n_layers + 1) * dim;
  EXPECT_EQ(f32.counted_bytes, 4 * (matrices + norms));
  EXPECT_EQ(bf16.counted_bytes, 2 * matrices + 4 * norms);
  const double ratio = static_cast<double>(bf16.resident_kib) / f32.resident_kib;
  std::printf("resident weights: f32 %ld KiB, bf16 %ld KiB, ratio %.3f\n", f32.resident_kib, bf16.resident_kib, ratio);
  EXPECT_GT(ratio, 0.45);
  EXPECT_LT(ratio, 0.55);
}

}  // namespace
}  // namespace gs
