// The Scheduler's continuous batching on a tiny random model, against the same
// prompts run alone: preemption and recompute, admission when blocks run out,
// cancellation and chunked prefill beside decodes all leave each answer unchanged.
#include "engine/scheduler.h"

#include <gtest/gtest.h>
#include <mpi.h>

#include "engine/generator.h"
#include "engine/llama_model.h"
#include "engine_harness.h"
#include "common/check.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

const std::vector<std::vector<int>> kPrompts = {
    {1, 5, 9, 14}, {1, 60}, {1, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51}, {1, 7, 7}};

struct Answer {
  std::vector<int> tokens;
  SequenceOutcome outcome;
};

// Runs `prompts` through one Scheduler on a model sharded over comm; rank 0 gets the
// answers and the largest number of sequences that ran at once.
struct ScheduledRun {
  std::vector<Answer> answers;
  int most_running = 0;
  long preemptions = 0;
  KvBlockUsage blocks_after;
};

ScheduledRun run_scheduled(const WeightSource& source, MpiChannels& comm, const std::vector<std::vector<int>>& prompts,
        int kv_blocks, int slots, int step_tokens, const SamplingParams& sampling = {},
        int max_tokens = 12, int cancel_after = -1, bool prefix_caching = false) {
  const ShardPlan plan = ShardPlan::make(source.config().shape(), comm.size(), ShardStrategy::group);
  ModelLimits limits{slots, 64, step_tokens};
  limits.kv_blocks = kv_blocks;  // 0: every slot at full length
  const std::unique_ptr<LlamaModel> model =
      LlamaModel::load(source, plan, comm.tensors, limits, kernels::BackendKind::cpu);
  StepExecutor executor(*model, comm);
  ScheduledRun out;
  if (comm.rank() != 0) {
    executor.serve();
    return out;
  }
  SchedulerOptions options;
  options.prefix_caching = prefix_caching;
  Scheduler scheduler(executor, {}, options);
  scheduler.set_step_observer([&](const StepRecord&) {
    out.most_running = std::max(out.most_running, scheduler.state().running);
  });
  out.answers.resize(prompts.size());
  std::vector<long> ids(prompts.size());
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    SequenceRequest r;
    r.prompt = prompts[i];
    r.max_tokens = max_tokens;
    r.sampling = sampling;
    r.sampling_stream = static_cast<int>(i);
    Answer& a = out.answers[i];
    r.on_token = [&, i](int token) {
      a.tokens.push_back(token);
      // Sequence 0 cancels the last one once it has its third token.
      if (cancel_after >= 0 && i == 0 && static_cast<int>(a.tokens.size()) == cancel_after)
        scheduler.cancel(ids.back());
      return true;
    };
    r.on_finish = [&a](const SequenceOutcome& o) { a.outcome = o; };
    ids[i] = scheduler.submit(std::move(r));
  }
  scheduler.run_until_idle();
  out.preemptions = scheduler.state().preemptions;
  out.blocks_after = scheduler.state().blocks;
  executor.stop();
  return out;
}

class Scheduling : public ::testing::Test {
 protected:
  void SetUp() override {
    weights_ = std::make_shared<const DenseWeights>(random_dense_weights(tiny_config(8, 4), 91));
    source_ = make_in_memory_source(weights_);
    MpiChannels self(MPI_COMM_SELF);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    // The truth: each prompt alone, one slot, the whole prompt in one step (rank 0 only).
    if (rank == 0)
      for (const auto& p : kPrompts)
        alone_.push_back(run_scheduled(*source_, self, {p}, 0, 1, 64, {}, 14).answers.at(0).tokens);
  }
  std::shared_ptr<const DenseWeights> weights_;
  std::unique_ptr<WeightSource> source_;
  std::vector<std::vector<int>> alone_;  // 14 greedy tokens per prompt

  // The first n tokens prompt i gives alone.
  std::vector<int> alone(std::size_t i, std::size_t n = 12) const {
    return {alone_[i].begin(), alone_[i].begin() + std::min(n, alone_[i].size())};
  }
};

TEST_F(Scheduling, PreemptedSequencesRecomputeToTheSameTokens) {
  MpiChannels world(MPI_COMM_WORLD);
  // 4 slots but 4 blocks of 16: four sequences of up to 32 positions cannot all
  // keep growing, so the latest admitted are preempted and recomputed.
  const ScheduledRun r = run_scheduled(*source_, world, kPrompts, /*kv_blocks=*/4, 4, 8, {}, 14);
  if (world.rank() != 0) return;
  EXPECT_GT(r.preemptions, 0);
  for (std::size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(r.answers[i].tokens, alone(i, 14)) << "prompt " << i;
  }
  EXPECT_EQ(r.blocks_after.used, 0);
}

TEST_F(Scheduling, SeededSamplingSurvivesPreemption) {
  MpiChannels world(MPI_COMM_WORLD);
  const SamplingParams sampling = {0.9f, 20, 0.95f, 4242};
  const ScheduledRun free_run = run_scheduled(*source_, world, kPrompts, 0, 4, 64, sampling, 14);
  const ScheduledRun preempted = run_scheduled(*source_, world, kPrompts, /*kv_blocks=*/4, 4, 8, sampling, 14);
  if (world.rank() != 0) return;
  EXPECT_GT(preempted.preemptions, 0);
  for (std::size_t i = 0; i < kPrompts.size(); ++i)
    EXPECT_EQ(preempted.answers[i].tokens, free_run.answers[i].tokens) << "prompt " << i;
}

TEST_F(Scheduling, AdmitsOnlyWhatTheBlocksHold) {
  MpiChannels world(MPI_COMM_WORLD);
  // Two blocks: the 20-token prompt with 12 answers needs both, so it runs alone.
  const ScheduledRun r = run_scheduled(*source_, world, {kPrompts[2], kPrompts[0]}, /*kv_blocks=*/2, 2, 64);
  if (world.rank() != 0) return;
  EXPECT_EQ(r.answers[0].tokens, alone(2));
  EXPECT_EQ(r.answers[1].tokens, alone(0));
  EXPECT_EQ(r.most_running, 1);
}

TEST_F(Scheduling, ChunkedPrefillBesideDecodesKeepsEveryAnswer) {
  MpiChannels world(MPI_COMM_WORLD);
  // Steps of 5 tokens: the 20-token prompt prefills in chunks beside the others' decodes.
  const ScheduledRun r = run_scheduled(*source_, world, kPrompts, 0, 4, 5);
  if (world.rank() != 0) return;
  for (std::size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(r.answers[i].tokens, alone(i)) << "prompt " << i;
    EXPECT_EQ(r.answers[i].outcome.finish, FinishReason::length);
    EXPECT_EQ(r.answers[i].outcome.prompt_tokens, static_cast<int>(kPrompts[i].size()));
    EXPECT_EQ(r.answers[i].outcome.generated_tokens, 12);
  }
}

TEST_F(Scheduling, CancellingFreesTheSequenceAndSparesTheOthers) {
  MpiChannels world(MPI_COMM_WORLD);
  const ScheduledRun r = run_scheduled(*source_, world, kPrompts, 0, 4, 64, {}, 12, /*cancel_after=*/3);
  if (world.rank() != 0) return;
  EXPECT_EQ(r.answers.back().outcome.finish, FinishReason::cancelled);
  EXPECT_LT(r.answers.back().tokens.size(), 12u);
  for (std::size_t i = 0; i + 1 < kPrompts.size(); ++i) EXPECT_EQ(r.answers[i].tokens, alone(i)) << "prompt " << i;
  EXPECT_EQ(r.blocks_after.used, 0);
}

TEST_F(Scheduling, PrefixCachedPromptsPrefillFromTheSharedBlocks) {
  MpiChannels world(MPI_COMM_WORLD), self(MPI_COMM_SELF);
  // Two prompts with the same first 34 tokens (two full blocks), one step per token so
  // the first has computed its blocks before the second is admitted.
  std::vector<int> first(40), second;
  for (int i = 0; i < 40; ++i) first[i] = 1 + (i * 7) % 90;
  second.assign(first.begin(), first.begin() + 34);
  second.push_back(3);
  const std::vector<std::vector<int>> prompts = {first, second, first};
  std::vector<std::vector<int>> alone;
  for (const auto& p : prompts) {
    const ScheduledRun one = run_scheduled(*source_, self, {p}, 0, 1, 64, {}, 8);
    if (world.rank() == 0) alone.push_back(one.answers.at(0).tokens);
  }
  const ScheduledRun cached = run_scheduled(*source_, world, prompts, 0, 1, 64, {}, 8, -1, /*prefix_caching=*/true);
  if (world.rank() != 0) return;
  for (std::size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(cached.answers[i].tokens, alone[i]) << "prompt " << i;
  EXPECT_EQ(cached.answers[0].outcome.cached_prompt_tokens, 0);
  EXPECT_EQ(cached.answers[1].outcome.cached_prompt_tokens, 32);
  EXPECT_EQ(cached.answers[2].outcome.cached_prompt_tokens, 32);  // 40 tokens: 2 full blocks + the rest
}

TEST(SchedulerQueue, RefusesBeyondMaxWaitingAndAfterStop) {
  MpiChannels self(MPI_COMM_SELF);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) return;
  auto weights = std::make_shared<const DenseWeights>(random_dense_weights(tiny_config(8, 4), 5));
  const std::unique_ptr<WeightSource> source = make_in_memory_source(weights);
  const ShardPlan plan = ShardPlan::make(source->config().shape(), 1, ShardStrategy::group);
  const std::unique_ptr<LlamaModel> model =
      LlamaModel::load(*source, plan, self.tensors, {1, 64, 16}, kernels::BackendKind::cpu);
  StepExecutor executor(*model, self);
  SchedulerOptions options;
  options.max_waiting = 2;
  Scheduler scheduler(executor, {}, options);
  std::vector<FinishReason> finished;
  auto request = [&] {
    SequenceRequest r;
    r.prompt = {1, 2, 3};
    r.max_tokens = 4;
    r.on_finish = [&](const SequenceOutcome& o) { finished.push_back(o.finish); };
    return r;
  };
  EXPECT_GE(scheduler.submit(request()), 0);
  EXPECT_GE(scheduler.submit(request()), 0);
  EXPECT_EQ(scheduler.submit(request()), -1);  // two wait already
  SequenceRequest too_long = request();
  too_long.max_tokens = 62;  // 3 + 62 > 64 positions
  EXPECT_THROW(scheduler.submit(std::move(too_long)), gs::Error);
  const std::atomic<bool> stop{true};
  scheduler.run(stop);  // stops at once: both waiting requests are cancelled
  EXPECT_EQ(finished, (std::vector<FinishReason>{FinishReason::cancelled, FinishReason::cancelled}));
  EXPECT_EQ(scheduler.submit(request()), -1);
  EXPECT_TRUE(scheduler.closed());
}

}  // namespace
}  // namespace gs::testing
