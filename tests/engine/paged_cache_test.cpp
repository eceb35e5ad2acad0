// The paged KV cache: a model whose sequences live in blocks handed out one token
// at a time (so their blocks interleave in the pool), or shared with another
// sequence's identical prefix, gives bit for bit the logits of the same steps with
// each sequence in its own contiguous run of blocks. At every tp.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <map>
#include <random>

#include "engine/kv_blocks.h"
#include "engine/step_executor.h"
#include "engine_harness.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

struct Token {
  int seq, token, position;
};
using Step = std::vector<Token>;  // every token of a step wants its logits

// Prefill chunks of `chunk` tokens for each prompt in turn, then `decode` steps in
// which every sequence advances one (pseudo-random, teacher-forced) token.
std::vector<Step> script(const std::vector<std::vector<int>>& prompts, int chunk, int decode) {
  std::vector<Step> steps;
  for (int s = 0; s < static_cast<int>(prompts.size()); ++s)
    for (int begin = 0; begin < static_cast<int>(prompts[s].size()); begin += chunk) {
      Step step;
      for (int p = begin; p < std::min<int>(prompts[s].size(), begin + chunk); ++p)
        step.push_back({s, prompts[s][p], p});
      steps.push_back(step);
    }
  std::mt19937 rng(3);
  for (int d = 0; d < decode; ++d) {
    Step step;
    for (int s = 0; s < static_cast<int>(prompts.size()); ++s)
      step.push_back({s, static_cast<int>(rng() % 60) + 1, static_cast<int>(prompts[s].size()) + d});
    steps.push_back(step);
  }
  return steps;
}

class PagedCache : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ModelConfig config = tiny_config(8, 4, 16);
    config.max_seq_len = 128;
    weights_ = std::make_shared<const DenseWeights>(random_dense_weights(config, 91));
    source_ = make_in_memory_source(weights_);
  }

  // Runs the steps on every rank; rank 0 returns each step's logits. With `blocks`,
  // each token's position gets its block just before the step, and computed
  // positions become shareable after it; without, every sequence keeps its
  // reserved run of blocks. Steps whose tokens `blocks` already holds (a shared
  // prefix) are skipped.
  std::vector<std::vector<float>> run(MpiChannels& comm, const std::vector<Step>& steps, KvBlocks* blocks,
                                      const std::vector<std::vector<int>>& prompts = {}) {
    const ShardPlan plan = ShardPlan::make(source_->config().shape(), comm.size(), ShardStrategy::group);
    ModelLimits limits{3, 128, 16};
    limits.block_size = GetParam();
    const std::unique_ptr<LlamaModel> model =
        LlamaModel::load(*source_, plan, comm.tensors, limits, kernels::BackendKind::cpu);
    StepExecutor executor(*model, comm);
    if (comm.rank() != 0) {
      executor.serve();
      return {};
    }
    std::vector<std::vector<float>> logits;
    std::map<int, std::vector<int>> history;  // per sequence: its tokens so far
    std::map<int, int> shared;                // per sequence: prefix found in the cache
    StepBatch batch;
    for (const Step& step : steps) {
      batch.clear();
      for (const Token& t : step) {
        if (blocks != nullptr && !blocks->is_open(t.seq))
          shared[t.seq] = blocks->open(t.seq, prompts.at(t.seq));
        if (t.position < shared[t.seq]) continue;
        if (blocks != nullptr) {
          EXPECT_TRUE(blocks->grow(t.seq, t.position + 1));
        }
        batch.add(t.token, t.position, t.seq, true);
      }
      for (const Token& t : step) history[t.seq].push_back(t.token);
      if (batch.size() == 0) continue;
      if (blocks != nullptr) blocks->attach_tables(batch);
      const std::span<const float> out = executor.run(batch);
      logits.emplace_back(out.begin(), out.end());
      if (blocks != nullptr)
        for (const auto& [seq, tokens] : history) blocks->computed(seq, tokens);
    }
    executor.stop();
    return logits;
  }

  std::shared_ptr<const DenseWeights> weights_;
  std::unique_ptr<WeightSource> source_;
};

TEST_P(PagedCache, BlocksHandedOutTokenByTokenGiveTheContiguousLogits) {
  MpiChannels world(MPI_COMM_WORLD);
  const std::vector<std::vector<int>> prompts = {{1, 5, 9, 14, 3, 7, 2, 8, 11, 4, 6, 12, 13, 10, 15, 16, 17, 18},
                                                 {1, 60},
                                                 {1, 33, 34, 35, 36, 37}};
  const std::vector<Step> steps = script(prompts, 16, 70);  // sequence 0 reaches 88 positions
  const auto contiguous = run(world, steps, nullptr);
  KvBlocks blocks(3 * 128 / GetParam(), GetParam(), 3, 128, false);
  const auto paged = run(world, steps, &blocks, prompts);
  if (world.rank() != 0) return;
  ASSERT_EQ(paged.size(), contiguous.size());
  for (std::size_t s = 0; s < paged.size(); ++s) ASSERT_EQ(paged[s], contiguous[s]) << "step " << s;
  // Growing one token at a time interleaved the sequences' blocks.
  const auto t0 = blocks.table(0);
  EXPECT_NE(std::adjacent_find(t0.begin(), t0.end(), [](int x, int y) { return y != x + 1; }), t0.end());
}

TEST_P(PagedCache, ASharedPrefixGivesTheLogitsOfRecomputingIt) {
  MpiChannels world(MPI_COMM_WORLD);
  const int block = GetParam();
  std::vector<int> prefix;
  for (int i = 0; i < block + 16; ++i) prefix.push_back(1 + (i * 7) % 50);
  std::vector<int> a = prefix, b = prefix;
  a.insert(a.end(), {3, 4, 5});
  b.insert(b.end(), {9, 8, 7, 6});
  // b alone, in chunks of 16: the chunks of its prefix are a's too.
  const std::vector<Step> b_steps = script({b}, 16, 5);
  const auto alone = run(world, b_steps, nullptr);

  std::vector<Step> both = script({a}, 16, 0);
  for (Step step : b_steps) {
    for (Token& t : step) t.seq = 1;
    both.push_back(step);
  }
  KvBlocks blocks(3 * 128 / block, block, 3, 128, true);
  const auto shared = run(world, both, &blocks, {a, b});
  if (world.rank() != 0) return;
  // b found the prefix's full blocks (a multiple of the block size) in the cache.
  const int reused = (static_cast<int>(prefix.size()) / block) * block;
  EXPECT_EQ(blocks.table(1)[0], blocks.table(0)[0]);
  const std::size_t a_steps = script({a}, 16, 0).size();
  const std::size_t b_skipped = reused / 16;  // b's prefill chunks that were not run
  ASSERT_EQ(shared.size(), a_steps + alone.size() - b_skipped);
  for (std::size_t s = b_skipped; s < alone.size(); ++s)
    ASSERT_EQ(shared[a_steps + s - b_skipped], alone[s]) << "step " << s << " of b";
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, PagedCache, ::testing::Values(16, 64));

}  // namespace
}  // namespace gs::testing
