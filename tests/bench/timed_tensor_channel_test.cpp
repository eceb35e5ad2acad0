// TimedTensorChannel forwards every call unchanged and counts calls, bytes and time
// per collective kind, so a benchmark's all-reduce share means what it says.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "parallel/timed_tensor_channel.h"

namespace gs {
namespace {

// One rank; all_reduce_sum doubles the data (so forwarding is visible) and sleeps.
class FakeTensorChannel : public TensorChannel {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string name() const override { return "fake"; }
  void all_reduce_sum(TensorSpan data, kernels::Stream stream) override {
    float* x = static_cast<float*>(data.data);
    for (std::size_t i = 0; i < data.count; ++i) x[i] *= 2;
    last_stream = stream;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void all_gather(TensorSpan local, TensorSpan out, std::span<const int>, kernels::Stream) override {
    std::copy_n(static_cast<const float*>(local.data), local.count, static_cast<float*>(out.data));
  }
  void gather(TensorSpan local, TensorSpan out, std::span<const int>, int, kernels::Stream) override {
    std::copy_n(static_cast<const float*>(local.data), local.count, static_cast<float*>(out.data));
    ++gathers;
  }
  kernels::Stream last_stream = nullptr;
  int gathers = 0;
};

TEST(TimedTensorChannel, CountsCallsBytesAndTimePerCollective) {
  FakeTensorChannel inner;
  TimedTensorChannel timed(inner);
  std::vector<float> data = {1, 2, 3};
  int stream_tag = 0;
  timed.all_reduce_sum(host_floats(data.data(), data.size()), &stream_tag);
  timed.all_reduce_sum(host_floats(data.data(), data.size()), &stream_tag);
  EXPECT_EQ(data, (std::vector<float>{4, 8, 12})) << "the call must reach the inner channel";
  EXPECT_EQ(inner.last_stream, &stream_tag) << "the stream must be passed through";
  std::vector<float> gathered(7);
  const std::vector<int> counts = {7};
  timed.gather(host_floats(gathered.data(), 7), host_floats(gathered.data(), 7), counts, 0, nullptr);
  EXPECT_EQ(inner.gathers, 1);

  const CollectiveTimings& t = timed.timings();
  EXPECT_EQ(t.all_reduce.calls, 2);
  EXPECT_EQ(t.all_reduce.bytes, 2 * 3 * 4);
  EXPECT_GE(t.all_reduce.seconds, 0.010);
  EXPECT_EQ(t.gather.calls, 1);
  EXPECT_EQ(t.gather.bytes, 7 * 4);
  EXPECT_LT(t.gather.seconds, t.all_reduce.seconds);
  EXPECT_EQ(t.all_gather.calls, 0);

  timed.reset();
  EXPECT_EQ(timed.timings().all_reduce.calls, 0);
  EXPECT_EQ(timed.timings().all_reduce.seconds, 0.0);
}

TEST(TensorSpan, BytesFollowTheElementType) {
  EXPECT_EQ((TensorSpan{nullptr, 10, DType::f32}.bytes()), 40u);
  EXPECT_EQ((TensorSpan{nullptr, 10, DType::bf16}.bytes()), 20u);
}

}  // namespace
}  // namespace gs
