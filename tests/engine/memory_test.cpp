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

// Resident growth while loading rank `rank` of a tp-way plan.
long resident_kib_for(const std::filesystem::path& path, int tp, int rank) {
  const std::unique_ptr<WeightSource> source = open_checkpoint(path);
  const ShardPlan plan = ShardPlan::make(source->config().shape(), tp, ShardStrategy::group);
  const long before = rss_anon_kib();
  const LlamaWeights weights = LlamaWeights::load(*source, plan, rank);
  return rss_anon_kib() - before;
}

TEST(Memory, ResidentWeightsPerRankAtTpFourAreAtMostAThirdOfTpOne) {
  // Weights dominate: 4 layers of dim 512 and ffn 1536 (~45 MB), embedding 1 MB.
  ModelConfig config;
  config.dim = 512;
  config.ffn_dim = 1536;
  config.n_layers = 4;
  config.n_heads = 8;
  config.n_kv_heads = 4;
  config.head_dim = 64;
  config.vocab_size = 512;
  config.max_seq_len = 64;
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

}  // namespace
}  // namespace gs
