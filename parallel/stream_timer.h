// StreamTimer: times calls that only enqueue work on a CUDA stream (NCCL's
// collectives), with a pair of CUDA events around each call. The host returns from
// such a call before the work runs, so its wall-clock time says nothing; the
// events' elapsed time is the time the stream spent in the collective, waiting for
// the other ranks included. Built with CUDA only (TimedTensorChannel uses it for
// stream-ordered channels).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/buffer.h"

namespace gs {

class StreamTimer {
 public:
  StreamTimer() = default;
  ~StreamTimer();
  StreamTimer(const StreamTimer&) = delete;
  StreamTimer& operator=(const StreamTimer&) = delete;

  // Whether `stream` is being recorded into a CUDA graph: its calls are not timed
  // then (the events would be part of the graph, not of this run).
  static bool capturing(kernels::Stream stream);

  // Records the start event of a call on `stream`; end() records its stop event and
  // adds the elapsed seconds to *seconds once the stream has passed it.
  void begin(kernels::Stream stream);
  void end(kernels::Stream stream, double* seconds);

  // Waits for every pending stop event and adds its time.
  void settle();

 private:
  struct Pending {
    void* start = nullptr;  // cudaEvent_t
    void* stop = nullptr;
    double* seconds = nullptr;
  };
  // Adds the times of the pending calls whose stop event has passed (all of them
  // when `wait`), oldest first, and frees their events for reuse.
  void harvest(bool wait);
  void* take_event();

  void* open_start_ = nullptr;     // begin()'s event, until end()
  std::vector<Pending> pending_;   // in stream order
  std::vector<void*> free_;        // events to reuse
};

}  // namespace gs
