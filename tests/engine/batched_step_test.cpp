// A decode step of many sequences gives each sequence the logits of its own
// single-token step, for every batch size 1..64 (so every matmul path: GEMV, the
// small-batch kernel, BLAS) and both weight types, at every tp.
#include <gtest/gtest.h>
#include <mpi.h>

#include "engine/llama_model.h"
#include "engine/step_executor.h"
#include "engine_harness.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

constexpr int kMaxBatch = 64, kPrompt = 5;

class BatchedStep : public ::testing::TestWithParam<DType> {};

TEST_P(BatchedStep, EachSequenceGetsTheLogitsOfItsOwnStep) {
  MpiChannels world(MPI_COMM_WORLD);
  const auto weights = std::make_shared<const DenseWeights>(random_dense_weights(tiny_config(8, 4, 16), 5));
  const std::unique_ptr<WeightSource> source = make_in_memory_source(weights);
  const ShardPlan plan = ShardPlan::make(source->config().shape(), world.size(), ShardStrategy::group);
  const std::unique_ptr<LlamaModel> model = LlamaModel::load(
      *source, plan, world.tensors, {kMaxBatch, 16, kMaxBatch}, kernels::BackendKind::cpu, GetParam());
  StepExecutor executor(*model, world);
  if (world.rank() != 0) {
    executor.serve();
    return;
  }
  const int vocab = source->config().vocab_size;
  auto token = [&](int seq, int position) { return 1 + (seq * 31 + position * 7) % (vocab - 1); };
  StepBatch batch;
  for (int seq = 0; seq < kMaxBatch; ++seq) {
    batch.clear();
    for (int p = 0; p < kPrompt; ++p) batch.add(token(seq, p), p, seq, false);
    executor.run(batch);
  }
  for (int n : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64}) {
    SCOPED_TRACE("batch " + std::to_string(n));
    batch.clear();
    for (int seq = 0; seq < n; ++seq) batch.add(token(seq, kPrompt), kPrompt, seq, true);
    const std::span<const float> out = executor.run(batch);
    const std::vector<float> together(out.begin(), out.end());
    ASSERT_EQ(together.size(), static_cast<std::size_t>(n) * vocab);
    // Each sequence alone rewrites the same position with its own step's K/V.
    for (int seq = 0; seq < n; ++seq) {
      batch.clear();
      batch.add(token(seq, kPrompt), kPrompt, seq, true);
      const std::span<const float> alone = executor.run(batch);
      ASSERT_LT(max_abs_diff(alone, std::span(together).subspan(seq * vocab, vocab)), 1e-5) << "sequence " << seq;
    }
  }
  executor.stop();
}

INSTANTIATE_TEST_SUITE_P(WeightTypes, BatchedStep,
                         ::testing::Values(DType::f32, DType::bf16));

}  // namespace
}  // namespace gs::testing
