#include "parallel/timed_tensor_channel.h"

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

void TimedTensorChannel::all_reduce_sum(TensorSpan data, kernels::Stream stream) {
  timed(timings_.all_reduce, data.bytes(), [&] { inner_.all_reduce_sum(data, stream); });
}

void TimedTensorChannel::all_gather(TensorSpan local, TensorSpan out, std::span<const int> counts,
                                    kernels::Stream stream) {
  timed(timings_.all_gather, local.bytes(), [&] { inner_.all_gather(local, out, counts, stream); });
}

void TimedTensorChannel::gather(TensorSpan local, TensorSpan out, std::span<const int> counts, int root,
                                kernels::Stream stream) {
  timed(timings_.gather, local.bytes(), [&] { inner_.gather(local, out, counts, root, stream); });
}

}  // namespace gs
