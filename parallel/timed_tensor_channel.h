// TimedTensorChannel: a TensorChannel that forwards every call to another one and
// records how often each collective ran, how long it took and how many bytes it
// moved, so benchmarks can report the communication share of a step without the
// model knowing it is measured. Wall-clock time: right for channels whose calls
// complete before they return (MPI); a stream-ordered channel needs its events.
#pragma once

#include <cstdint>

#include "parallel/tensor_channel.h"

namespace gs {

struct CollectiveTiming {
  std::int64_t calls = 0;
  double seconds = 0.0;     // wall time inside the call, waiting for other ranks included
  std::int64_t bytes = 0;   // this rank's payload (its local tensor)
};

struct CollectiveTimings {
  CollectiveTiming all_reduce, all_gather, gather;
};

class TimedTensorChannel final : public TensorChannel {
 public:
  // inner must outlive this object.
  explicit TimedTensorChannel(TensorChannel& inner) : inner_(inner) {}

  const CollectiveTimings& timings() const { return timings_; }
  void reset() { timings_ = {}; }

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
  TensorChannel& inner_;
  CollectiveTimings timings_;
};

}  // namespace gs
