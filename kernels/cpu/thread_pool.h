// The one team of threads every fast CPU kernel runs on (GEMV, the small-batch
// GEMM, BLAS slices, attention, element-wise ops), so no two runtimes' threads
// spin against each other on the same cores.
//
// Work is a range of chunks handed out one at a time from a shared counter, and
// the calling thread takes chunks too. So a worker that the OS has descheduled
// (another process busy on its core) simply claims fewer chunks: the caller waits
// only for chunks already started, never for a thread that has not woken up.
// Idle workers spin briefly (a decode step starts the next loop within
// microseconds) and then sleep on a futex, so an idle or starved team burns no
// core. (OpenMP's barriers spun on a descheduled thread's static share: one bf16
// decode step took 20x longer with a compile running on the other core.)
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace gs::kernels::cpu {

class ThreadPool {
 public:
  // threads counts the caller: threads - 1 workers are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return int(workers_.size()) + 1; }

  // Calls body(chunk, thread) for every chunk in [0, chunks), on the calling
  // thread and the workers, and returns when all calls have returned. thread
  // (0..threads()-1) names the thread running the call, for per-thread scratch.
  // A call from inside a body runs its chunks inline on that thread.
  template <typename Body>
  void run(int chunks, Body&& body) {
    using B = std::remove_reference_t<Body>;
    auto call = [](void* b, int chunk, int thread) { (*static_cast<B*>(b))(chunk, thread); };
    dispatch(chunks, call, const_cast<void*>(static_cast<const void*>(&body)));
  }

 private:
  using Call = void (*)(void*, int chunk, int thread);
  void dispatch(int chunks, Call call, void* body);
  void work(int thread);
  // Claims and runs chunks of the published loop until none are left.
  void drain(int thread);

  std::vector<std::thread> workers_;
  // Even: a loop is published (or none yet); odd: the caller is writing the next.
  std::atomic<std::uint32_t> generation_{0};
  std::atomic<int> busy_{0};      // workers between reading a loop and leaving it
  std::atomic<int> next_{0};      // next unclaimed chunk
  std::atomic<int> finished_{0};  // chunks whose call has returned
  std::atomic<int> sleepers_{0};  // workers asleep on generation_
  int chunks_ = 0;
  Call call_ = nullptr;
  void* body_ = nullptr;
  bool stopping_ = false;
};

// The process's team (one process is one rank), sized by set_threads (fast.h);
// defined in fast.cpp.
ThreadPool& thread_pool();

// Runs body(begin, end, thread) over [0, count) in chunks of at most `grain`
// items; all on the caller (thread 0) when there is one chunk or one thread.
template <typename Body>
void parallel_for(int count, int grain, Body&& body) {
  if (count <= 0) return;
  const int chunks = (count + grain - 1) / grain;
  auto chunk = [&](int c, int thread) {
    const int begin = c * grain;
    body(begin, std::min(count, begin + grain), thread);
  };
  ThreadPool& pool = thread_pool();
  if (chunks == 1 || pool.threads() == 1) {
    for (int c = 0; c < chunks; ++c) chunk(c, 0);
    return;
  }
  pool.run(chunks, chunk);
}

}  // namespace gs::kernels::cpu
