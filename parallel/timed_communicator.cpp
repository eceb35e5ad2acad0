#include "parallel/timed_communicator.h"

#include <chrono>

namespace gs {

namespace {

// Runs call and adds its duration and payload to timing.
template <typename Call>
void timed(CollectiveTiming& timing, std::size_t bytes, Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  call();
  timing.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  timing.calls += 1;
  timing.bytes += static_cast<std::int64_t>(bytes);
}

}  // namespace

void TimedCommunicator::all_reduce_sum(std::span<float> data) {
  timed(timings_.all_reduce, data.size_bytes(), [&] { inner_.all_reduce_sum(data); });
}

void TimedCommunicator::all_gather(std::span<const float> local, std::span<float> out,
                                   std::span<const int> counts) {
  timed(timings_.all_gather, local.size_bytes(), [&] { inner_.all_gather(local, out, counts); });
}

void TimedCommunicator::gather(std::span<const float> local, std::span<float> out,
                               std::span<const int> counts, int root) {
  timed(timings_.gather, local.size_bytes(), [&] { inner_.gather(local, out, counts, root); });
}

void TimedCommunicator::broadcast(std::span<std::byte> data, int root) {
  timed(timings_.broadcast, data.size(), [&] { inner_.broadcast(data, root); });
}

void TimedCommunicator::barrier() {
  timed(timings_.barrier, 0, [&] { inner_.barrier(); });
}

}  // namespace gs
