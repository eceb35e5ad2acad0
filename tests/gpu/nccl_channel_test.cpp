// The NCCL tensor channel and the timing of stream-ordered collectives, on a GPU
// under mpirun (np 1 on a one-GPU machine: NCCL refuses two ranks on one device).
// Skipped, with the reason, where no GPU is visible.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <numeric>
#include <vector>

#include "kernels/backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "parallel/mpi_channels.h"
#include "parallel/nccl_tensor_channel.h"
#include "parallel/stream_timer.h"
#include "parallel/timed_tensor_channel.h"
#include "tests/gpu/spin_kernel.h"

namespace gs {
namespace {

class NcclChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kernels::cuda::visible_devices() == 0) GTEST_SKIP() << "no CUDA device visible: GPU tests need an NVIDIA GPU";
    backend = kernels::make_backend(kernels::BackendKind::cuda, {}, {.device = -1});
    control = std::make_unique<MpiControlChannel>(MPI_COMM_WORLD);
    channel = open_nccl_channel(*control, *backend, 60.0);
  }
  TensorSpan device_floats(const kernels::Buffer& b, std::size_t count) {
    return {b.data(), count, DType::f32, kernels::MemorySpace::device};
  }
  std::vector<float> down(const kernels::Buffer& b, std::size_t count) {
    std::vector<float> host(count);
    backend->download(host.data(), b.data(), count * sizeof(float));
    return host;
  }

  std::unique_ptr<kernels::Backend> backend;
  std::unique_ptr<MpiControlChannel> control;
  std::unique_ptr<TensorChannel> channel;
};

// Rank r holds r + 1 values 100 r + i (uneven slices, as uneven vocabulary deals).
TEST_F(NcclChannelTest, CollectivesOnDeviceBuffersWithUnevenSlices) {
  const int rank = channel->rank(), size = channel->size();
  EXPECT_TRUE(channel->stream_ordered());
  const std::vector<float> data = {1.0f + rank, 2.0f * rank, -3.0f};
  kernels::Buffer d = backend->upload_copy(data.data(), data.size());
  channel->all_reduce_sum(device_floats(d, 3), backend->stream());
  const float ranks_sum = size * (size - 1) / 2.0f;
  EXPECT_EQ(down(d, 3), (std::vector<float>{size + ranks_sum, 2.0f * ranks_sum, -3.0f * size}));

  std::vector<float> mine(rank + 1), all;
  for (int i = 0; i <= rank; ++i) mine[i] = 100.0f * rank + i;
  std::vector<int> counts(size);
  for (int r = 0; r < size; ++r) {
    counts[r] = r + 1;
    for (int i = 0; i <= r; ++i) all.push_back(100.0f * r + i);
  }
  kernels::Buffer local = backend->upload_copy(mine.data(), mine.size());
  kernels::Buffer out = backend->allocate(all.size() * sizeof(float));
  channel->all_gather(device_floats(local, mine.size()), device_floats(out, all.size()), counts, backend->stream());
  EXPECT_EQ(down(out, all.size()), all);
  kernels::Buffer gathered = backend->allocate(all.size() * sizeof(float));
  channel->gather(device_floats(local, mine.size()), device_floats(gathered, all.size()), counts, 0, backend->stream());
  if (rank == 0) EXPECT_EQ(down(gathered, all.size()), all);
}

// Events time what the stream does, not how long the host took to enqueue it.
TEST_F(NcclChannelTest, StreamTimerTimesTheStreamNotTheHost) {
  StreamTimer timer;
  double seconds = 0;
  const auto start = std::chrono::steady_clock::now();
  timer.begin(backend->stream());
  test::spin_on_stream(backend->stream(), 0.3);  // cycles of the top clock: at least 0.3 s
  timer.end(backend->stream(), &seconds);
  const double enqueue = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(seconds, 0.0) << "nothing is added before the stream passes the stop event";
  timer.settle();
  EXPECT_LT(enqueue, 0.15);
  EXPECT_GT(seconds, 0.25);
  EXPECT_LT(seconds, 2.0);
}

// TimedTensorChannel over NCCL counts calls and bytes at once and takes the time of
// each collective from its events, without the kernel queued before it.
TEST_F(NcclChannelTest, TimedChannelTimesNcclCollectivesWithEvents) {
  TimedTensorChannel timed(*channel);
  EXPECT_TRUE(timed.times_streams());
  kernels::Buffer d = backend->allocate(1024 * sizeof(float));
  test::spin_on_stream(backend->stream(), 0.2);
  for (int i = 0; i < 3; ++i) timed.all_reduce_sum(device_floats(d, 1024), backend->stream());
  const CollectiveTimings& t = timed.timings();
  EXPECT_EQ(t.all_reduce.calls, 3);
  EXPECT_EQ(t.all_reduce.bytes, 3 * 1024 * 4);
  EXPECT_GE(t.all_reduce.seconds, 0.0);
  EXPECT_LT(t.all_reduce.seconds, 0.1) << "the spin before the collectives is not theirs";
  timed.reset();
  EXPECT_EQ(timed.timings().all_reduce.calls, 0);
}

}  // namespace
}  // namespace gs
