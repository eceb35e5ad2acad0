// TimedCommunicator forwards every call unchanged and counts calls, bytes and time
// per collective kind, so a benchmark's all-reduce share means what it says.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "parallel/timed_communicator.h"

namespace gs {
namespace {

// One rank; all_reduce_sum doubles the data (so forwarding is visible) and sleeps.
class FakeCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string host() const override { return "fake"; }
  void all_reduce_sum(std::span<float> data) override {
    for (float& x : data) x *= 2;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void all_gather(std::span<const float> local, std::span<float> out, std::span<const int>) override {
    std::copy(local.begin(), local.end(), out.begin());
  }
  void gather(std::span<const float> local, std::span<float> out, std::span<const int>, int) override {
    std::copy(local.begin(), local.end(), out.begin());
  }
  void broadcast(std::span<std::byte>, int) override { ++broadcasts; }
  void barrier() override {}
  int broadcasts = 0;
};

TEST(TimedCommunicator, CountsCallsBytesAndTimePerCollective) {
  FakeCommunicator inner;
  TimedCommunicator timed(inner);
  std::vector<float> data = {1, 2, 3};
  timed.all_reduce_sum(data);
  timed.all_reduce_sum(data);
  EXPECT_EQ(data, (std::vector<float>{4, 8, 12})) << "the call must reach the inner communicator";
  std::vector<std::byte> bytes(7);
  timed.broadcast(bytes, 0);
  EXPECT_EQ(inner.broadcasts, 1);

  const CommunicatorTimings& t = timed.timings();
  EXPECT_EQ(t.all_reduce.calls, 2);
  EXPECT_EQ(t.all_reduce.bytes, 2 * 3 * 4);
  EXPECT_GE(t.all_reduce.seconds, 0.010);
  EXPECT_EQ(t.broadcast.calls, 1);
  EXPECT_EQ(t.broadcast.bytes, 7);
  EXPECT_LT(t.broadcast.seconds, t.all_reduce.seconds);
  EXPECT_EQ(t.all_gather.calls, 0);
  EXPECT_EQ(t.barrier.calls, 0);

  timed.reset();
  EXPECT_EQ(timed.timings().all_reduce.calls, 0);
  EXPECT_EQ(timed.timings().all_reduce.seconds, 0.0);
}

TEST(TimedCommunicator, AgreeOnFailureGoesThroughTheTimedCollectives) {
  FakeCommunicator inner;
  TimedCommunicator timed(inner);
  EXPECT_EQ(timed.agree_on_failure(std::nullopt), std::nullopt);
  EXPECT_EQ(timed.timings().all_gather.calls, 1);
}

}  // namespace
}  // namespace gs
