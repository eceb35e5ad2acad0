#include "parallel/timed_tensor_channel.h"

#include <chrono>

#include "common/check.h"
#ifdef GROUPSHARD_WITH_CUDA
#include "parallel/stream_timer.h"
#endif

namespace gs {

#ifndef GROUPSHARD_WITH_CUDA
// Without CUDA no channel is stream-ordered; the type exists for the unique_ptr.
class StreamTimer {
 public:
  void settle() {}
};
#endif

TimedTensorChannel::TimedTensorChannel(TensorChannel& inner) : inner_(inner) {
  if (inner_.stream_ordered()) {
#ifdef GROUPSHARD_WITH_CUDA
    stream_timer_ = std::make_unique<StreamTimer>();
#else
    GS_FAIL("a stream-ordered tensor channel (" << inner_.name() << ") in a build without CUDA");
#endif
  }
}

TimedTensorChannel::~TimedTensorChannel() = default;

const CollectiveTimings& TimedTensorChannel::timings() {
  if (stream_timer_) stream_timer_->settle();
  return timings_;
}

void TimedTensorChannel::reset() {
  if (stream_timer_) stream_timer_->settle();  // calls before the reset count before it
  timings_ = {};
}

// Runs call and adds its duration and payload to timing.
template <typename Call>
void TimedTensorChannel::timed(CollectiveTiming& timing, std::size_t bytes, kernels::Stream stream, Call&& call) {
  timing.calls += 1;
  timing.bytes += static_cast<std::int64_t>(bytes);
#ifdef GROUPSHARD_WITH_CUDA
  if (stream_timer_) {
    if (StreamTimer::capturing(stream)) return call();  // recorded into a graph: not this run's time
    stream_timer_->begin(stream);
    call();
    stream_timer_->end(stream, &timing.seconds);
    return;
  }
#endif
  const auto start = std::chrono::steady_clock::now();
  call();
  timing.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void TimedTensorChannel::all_reduce_sum(TensorSpan data, kernels::Stream stream) {
  timed(timings_.all_reduce, data.bytes(), stream, [&] { inner_.all_reduce_sum(data, stream); });
}

void TimedTensorChannel::all_gather(TensorSpan local, TensorSpan out, std::span<const int> counts,
                                    kernels::Stream stream) {
  timed(timings_.all_gather, local.bytes(), stream, [&] { inner_.all_gather(local, out, counts, stream); });
}

void TimedTensorChannel::gather(TensorSpan local, TensorSpan out, std::span<const int> counts, int root,
                                kernels::Stream stream) {
  timed(timings_.gather, local.bytes(), stream, [&] { inner_.gather(local, out, counts, root, stream); });
}

}  // namespace gs
