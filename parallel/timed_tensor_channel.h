// TimedTensorChannel: a TensorChannel that forwards every call to another one and
// records how often each collective ran, how long it took and how many bytes it
// moved, so benchmarks can report the communication share of a step without the
// model knowing it is measured. Channels whose calls complete before they return
// (MPI, host-staged MPI) are timed by the wall clock; stream-ordered ones (NCCL),
// whose calls only enqueue, by CUDA events around each call on its stream (read
// when timings() is asked for). Calls recorded into a CUDA graph are not timed —
// nor seen at all when the graph is replayed.
#pragma once

#include <cstdint>
#include <memory>

#include "parallel/tensor_channel.h"

namespace gs {

struct CollectiveTiming {
  std::int64_t calls = 0;
  double seconds = 0.0;     // time in the call (its stream's, for NCCL), waiting for other ranks included
  std::int64_t bytes = 0;   // this rank's payload (its local tensor)
};

struct CollectiveTimings {
  CollectiveTiming all_reduce, all_gather, gather;
};

class StreamTimer;

class TimedTensorChannel final : public TensorChannel {
 public:
  // inner must outlive this object.
  explicit TimedTensorChannel(TensorChannel& inner);
  ~TimedTensorChannel() override;

  // The timings so far; for a stream-ordered channel this waits until the stream
  // has passed every timed call.
  const CollectiveTimings& timings();
  void reset();
  // Whether calls are timed by CUDA events (a stream-ordered channel) rather than the wall clock.
  bool times_streams() const { return static_cast<bool>(stream_timer_); }

  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  std::string name() const override { return inner_.name(); }
  bool stream_ordered() const override { return inner_.stream_ordered(); }

  void all_reduce_sum(TensorSpan data, kernels::Stream stream) override;
  void all_gather(TensorSpan local, TensorSpan out, std::span<const int> counts,
                  kernels::Stream stream) override;
  void gather(TensorSpan local, TensorSpan out, std::span<const int> counts, int root,
              kernels::Stream stream) override;

 private:
  template <typename Call>
  void timed(CollectiveTiming& timing, std::size_t bytes, kernels::Stream stream, Call&& call);

  TensorChannel& inner_;
  CollectiveTimings timings_;
  std::unique_ptr<StreamTimer> stream_timer_;  // stream-ordered channels (built with CUDA)
};

}  // namespace gs
