// TimedCommunicator: a Communicator that forwards every call to another one and
// records how often each collective ran, how long it took and how many bytes it
// moved, so benchmarks can report the communication share of a step without the
// model knowing it is measured.
#pragma once

#include <cstdint>

#include "parallel/communicator.h"

namespace gs {

struct CollectiveTiming {
  std::int64_t calls = 0;
  double seconds = 0.0;     // wall time inside the call, waiting for other ranks included
  std::int64_t bytes = 0;   // this rank's payload (its local span)
};

struct CommunicatorTimings {
  CollectiveTiming all_reduce, all_gather, gather, broadcast, barrier;
};

class TimedCommunicator final : public Communicator {
 public:
  // inner must outlive this object.
  explicit TimedCommunicator(Communicator& inner) : inner_(inner) {}

  const CommunicatorTimings& timings() const { return timings_; }
  void reset() { timings_ = {}; }

  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  std::string host() const override { return inner_.host(); }

  void all_reduce_sum(std::span<float> data) override;
  void all_gather(std::span<const float> local, std::span<float> out,
                  std::span<const int> counts) override;
  void gather(std::span<const float> local, std::span<float> out, std::span<const int> counts,
              int root) override;
  void broadcast(std::span<std::byte> data, int root) override;
  void barrier() override;

 private:
  Communicator& inner_;
  CommunicatorTimings timings_;
};

}  // namespace gs
