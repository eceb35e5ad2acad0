// Generation through the Generator: batches of prompts sharing decode steps give
// what each prompt gives alone, and seeded sampling gives the same tokens at every tp.
#include <gtest/gtest.h>
#include <mpi.h>

#include "engine/generator.h"
#include "engine_harness.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

std::vector<Completion> generate(const WeightSource& source, MpiChannels& comm,
                                 const std::vector<std::vector<int>>& prompts,
                                 const GenerationOptions& options, int slots, int step_tokens, int kv_blocks = 0) {
  const ShardPlan plan = ShardPlan::make(source.config().shape(), comm.size(), ShardStrategy::group);
  ModelLimits limits{slots, source.config().max_seq_len, step_tokens};
  limits.kv_blocks = kv_blocks;
  const std::unique_ptr<LlamaModel> model =
      LlamaModel::load(source, plan, comm.tensors, limits, kernels::BackendKind::cpu);
  StepExecutor executor(*model, comm);
  if (comm.rank() != 0) {
    executor.serve();
    return {};
  }
  Generator generator(executor, {});
  std::vector<Completion> out = generator.generate(prompts, options);
  executor.stop();
  return out;
}

class Generation : public ::testing::Test {
 protected:
  void SetUp() override {
    weights_ = std::make_shared<const DenseWeights>(random_dense_weights(tiny_config(8, 4), 77));
    source_ = make_in_memory_source(weights_);
  }
  std::shared_ptr<const DenseWeights> weights_;
  std::unique_ptr<WeightSource> source_;
  const std::vector<std::vector<int>> prompts_ = {{1, 5, 9, 14}, {1, 60}, {1, 33, 34, 35, 36, 37, 38, 39, 40}};
};

TEST_F(Generation, BatchedPromptsEqualPromptsAlone) {
  MpiChannels world(MPI_COMM_WORLD);
  GenerationOptions options;
  options.max_tokens = 10;
  // Two slots for three prompts: the third waits for a slot; prefill in chunks of 3.
  const std::vector<Completion> batched = generate(*source_, world, prompts_, options, 2, 3);
  std::vector<Completion> alone;
  for (const auto& p : prompts_) {
    const std::vector<Completion> one = generate(*source_, world, {p}, options, 1, 64);
    if (world.rank() == 0) alone.push_back(one.at(0));
  }
  if (world.rank() != 0) return;
  ASSERT_EQ(batched.size(), prompts_.size());
  for (std::size_t i = 0; i < prompts_.size(); ++i) {
    EXPECT_EQ(batched[i].tokens, alone[i].tokens) << "prompt " << i;
    EXPECT_EQ(batched[i].tokens.size(), 10u);
  }
}

TEST_F(Generation, APromptWaitsWhileTheKvPoolLacksItsBlocks) {
  MpiChannels world(MPI_COMM_WORLD);
  GenerationOptions options;
  options.max_tokens = 10;
  // Three slots but two blocks of 16: the first two prompts (14 and 12 positions)
  // take one block each, the third (19 positions, two blocks) waits for both.
  const std::vector<Completion> pooled = generate(*source_, world, prompts_, options, 3, 16, 2);
  const std::vector<Completion> roomy = generate(*source_, world, prompts_, options, 3, 16);
  if (world.rank() != 0) return;
  for (std::size_t i = 0; i < prompts_.size(); ++i) EXPECT_EQ(pooled[i].tokens, roomy[i].tokens) << "prompt " << i;
}

TEST_F(Generation, SeededSamplingIsTheSameAtEveryTp) {
  MpiChannels world(MPI_COMM_WORLD), self(MPI_COMM_SELF);
  GenerationOptions options;
  options.max_tokens = 16;
  options.sampling = {0.9f, 40, 0.95f, 12345};
  const std::vector<Completion> sharded = generate(*source_, world, prompts_, options, 3, 16);
  const std::vector<Completion> single = generate(*source_, self, prompts_, options, 3, 16);
  options.sampling.seed = 54321;
  const std::vector<Completion> reseeded = generate(*source_, self, prompts_, options, 3, 16);
  if (world.rank() != 0) return;
  for (std::size_t i = 0; i < prompts_.size(); ++i) {
    EXPECT_EQ(sharded[i].tokens, single[i].tokens) << "prompt " << i;
  }
  EXPECT_NE(single[0].tokens, reseeded[0].tokens) << "the seed should matter";
}

TEST_F(Generation, StopsAtAStopToken) {
  MpiChannels self(MPI_COMM_SELF);
  GenerationOptions options;
  options.max_tokens = 10;
  const std::vector<Completion> free_run = generate(*source_, self, {prompts_[0]}, options, 1, 16);
  const int stop = free_run[0].tokens.at(3);
  // Re-run with that token as a stop id: generation ends before it.
  const ShardPlan plan = ShardPlan::make(source_->config().shape(), 1, ShardStrategy::group);
  const std::unique_ptr<LlamaModel> model =
      LlamaModel::load(*source_, plan, self.tensors, {1, 64, 16}, kernels::BackendKind::cpu);
  StepExecutor executor(*model, self);
  Generator generator(executor, {stop});
  const std::vector<Completion> stopped = generator.generate({prompts_[0]}, options);
  const auto first_stop = std::find(free_run[0].tokens.begin(), free_run[0].tokens.end(), stop);
  EXPECT_EQ(stopped[0].tokens, std::vector<int>(free_run[0].tokens.begin(), first_stop));
  EXPECT_EQ(stopped[0].finish, FinishReason::eos);
}

}  // namespace
}  // namespace gs::testing
