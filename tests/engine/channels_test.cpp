// The control and tensor channels at every size they run under: each rank checks
// the collective results against values it computes alone. The host-staged channel
// is driven with tensors marked as device memory over a CPU backend, whose
// download/upload are copies, so its staging runs without a GPU.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <numeric>
#include <thread>

#include "engine_harness.h"
#include "kernels/backend.h"
#include "common/check.h"
#include "parallel/mpi_channels.h"
#include "parallel/staged_tensor_channel.h"

namespace gs {
namespace {

// Rank r's slice: r + 1 values (uneven), value i of rank r = 100 r + i.
std::vector<float> slice_of(int r) {
  std::vector<float> v(r + 1);
  for (int i = 0; i <= r; ++i) v[i] = 100.0f * r + i;
  return v;
}

std::vector<int> slice_counts(int size) {
  std::vector<int> counts(size);
  std::iota(counts.begin(), counts.end(), 1);
  return counts;
}

std::vector<float> all_slices(int size) {
  std::vector<float> all;
  for (int r = 0; r < size; ++r) {
    const std::vector<float> s = slice_of(r);
    all.insert(all.end(), s.begin(), s.end());
  }
  return all;
}

// Every collective of `channel`, its tensors in `space`.
void check_collectives(TensorChannel& channel, kernels::MemorySpace space) {
  const int rank = channel.rank(), size = channel.size();
  std::vector<float> data = {1.0f + rank, 2.0f * rank, -3.0f};
  channel.all_reduce_sum({data.data(), data.size(), DType::f32, space}, nullptr);
  const float ranks_sum = size * (size - 1) / 2.0f;
  EXPECT_EQ(data, (std::vector<float>{size + ranks_sum, 2.0f * ranks_sum, -3.0f * size}));

  std::vector<float> mine = slice_of(rank);
  const std::vector<int> counts = slice_counts(size);
  std::vector<float> out(size * (size + 1) / 2, -1.0f);
  channel.all_gather({mine.data(), mine.size(), DType::f32, space},
                     {out.data(), out.size(), DType::f32, space}, counts, nullptr);
  EXPECT_EQ(out, all_slices(size));

  std::fill(out.begin(), out.end(), -1.0f);
  const int root = size - 1;
  channel.gather({mine.data(), mine.size(), DType::f32, space},
                 {out.data(), out.size(), DType::f32, space}, counts, root, nullptr);
  if (rank == root) EXPECT_EQ(out, all_slices(size));
  else EXPECT_EQ(out, std::vector<float>(out.size(), -1.0f)) << "only the root receives";
}

TEST(Channels, MpiTensorChannelCollectivesWithUnevenSlices) {
  MpiChannels world(MPI_COMM_WORLD);
  check_collectives(world.tensors, kernels::MemorySpace::host);
}

TEST(Channels, StagedChannelMovesDeviceTensorsThroughHostMemory) {
  MpiChannels world(MPI_COMM_WORLD);
  const auto backend = kernels::make_backend(kernels::BackendKind::cpu, {});
  StagedTensorChannel staged(std::make_unique<MpiTensorChannel>(MPI_COMM_WORLD), *backend);
  check_collectives(staged, kernels::MemorySpace::device);
  check_collectives(staged, kernels::MemorySpace::host);
  EXPECT_EQ(staged.name(), "mpi (host-staged)");
}

TEST(Channels, MpiTensorChannelRefusesDeviceMemoryAndOtherTypes) {
  MpiChannels world(MPI_COMM_WORLD);
  std::vector<float> data(4);
  EXPECT_THROW(world.tensors.all_reduce_sum({data.data(), 4, DType::f32, kernels::MemorySpace::device},
                                            nullptr),
               Error);
  EXPECT_THROW(world.tensors.all_reduce_sum({data.data(), 4, DType::bf16, kernels::MemorySpace::host},
                                            nullptr),
               Error);
}

TEST(Channels, ControlChannelAllGathersAndAgreesOnTheLowestFailingRank) {
  MpiChannels world(MPI_COMM_WORLD);
  const int rank = world.rank(), size = world.size();
  const std::int32_t mine = 7 * rank;
  std::vector<std::int32_t> all(size);
  world.all_gather(std::as_bytes(std::span(&mine, 1)), std::as_writable_bytes(std::span(all)));
  for (int r = 0; r < size; ++r) EXPECT_EQ(all[r], 7 * r);

  EXPECT_EQ(world.agree_on_failure(std::nullopt), std::nullopt);
  // Every rank from the middle fails; all hear the first of them.
  const int first = size / 2;
  const std::optional<std::string> verdict =
      world.agree_on_failure(rank >= first ? std::optional<std::string>("rank " + std::to_string(rank)) : std::nullopt);
  EXPECT_EQ(verdict, std::optional<std::string>("rank " + std::to_string(first)));
}

// With a time limit set, the tensor channel's collectives are polled against it: a
// rank that joins late (within the limit) changes nothing.
TEST(Channels, TensorCollectivesWithATimeLimitWaitForALateRank) {
  MpiChannels world(MPI_COMM_WORLD);
  world.tensors.limit_collective_wait(30);
  if (world.rank() == world.size() - 1) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  check_collectives(world.tensors, kernels::MemorySpace::host);
  EXPECT_THROW(world.tensors.limit_collective_wait(0), Error);
}

// The model's device path end to end: a backend whose memory counts as device
// memory (logits downloaded, all-reduces and the logits gather staged through host
// memory) gives bit-identical greedy tokens and logits to the host path.
TEST(Channels, TheDevicePathOfTheModelGivesTheHostPathsResults) {
  MpiChannels world(MPI_COMM_WORLD);
  const auto weights = std::make_shared<const DenseWeights>(random_dense_weights(testing::tiny_config(8, 2), 31));
  const std::unique_ptr<WeightSource> source = make_in_memory_source(weights);
  const std::vector<int> prompt = {1, 17, 42, 5, 77, 3};
  if (world.size() != 1 && world.size() != 2 && world.size() != 4 && world.size() != 8)
    GTEST_SKIP() << "tp " << world.size() << " does not divide 8 heads in 2 groups";
  const testing::GreedyTrace host = testing::run_greedy(*source, world, prompt, 6);
  testing::RunSettings device;
  device.pretend_device = true;
  device.max_step_tokens = 4;  // the prompt prefills in two chunks
  testing::RunSettings host_chunks;
  host_chunks.max_step_tokens = 4;
  const testing::GreedyTrace chunked = testing::run_greedy(*source, world, prompt, 6, host_chunks);
  const testing::GreedyTrace staged = testing::run_greedy(*source, world, prompt, 6, device);
  if (world.rank() != 0) return;
  EXPECT_EQ(staged.tokens, chunked.tokens);
  EXPECT_EQ(staged.logits, chunked.logits) << "the same arithmetic, only copies added";
  EXPECT_EQ(staged.tokens, host.tokens);
}

// Greedy ids picked by the backend (StepExecutor::run_argmax), as a GPU picks them
// without downloading the logits, are the tokens picked from the logits on the host —
// on the host path and on the device path, at every tp.
TEST(Channels, GreedyIdsFromTheBackendAreTheTokensOfTheLogits) {
  MpiChannels world(MPI_COMM_WORLD);
  const auto weights = std::make_shared<const DenseWeights>(random_dense_weights(testing::tiny_config(8, 2), 37));
  const std::unique_ptr<WeightSource> source = make_in_memory_source(weights);
  const std::vector<int> prompt = {1, 17, 42, 5, 77, 3};
  if (world.size() != 1 && world.size() != 2 && world.size() != 4 && world.size() != 8)
    GTEST_SKIP() << "tp " << world.size() << " does not divide 8 heads in 2 groups";
  testing::RunSettings settings;
  settings.max_step_tokens = 4;
  const testing::GreedyTrace from_logits = testing::run_greedy(*source, world, prompt, 8, settings);
  settings.argmax_on_backend = true;
  const testing::GreedyTrace host = testing::run_greedy(*source, world, prompt, 8, settings);
  settings.pretend_device = true;
  const testing::GreedyTrace device = testing::run_greedy(*source, world, prompt, 8, settings);
  if (world.rank() != 0) return;
  EXPECT_EQ(host.tokens, from_logits.tokens);
  EXPECT_EQ(device.tokens, from_logits.tokens);
  EXPECT_TRUE(device.logits.empty());
}

}  // namespace
}  // namespace gs
