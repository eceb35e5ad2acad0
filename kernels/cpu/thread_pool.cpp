// ThreadPool: a published loop is (chunks_, call_, body_) plus the counters; the
// generation number says which loop is current. Publishing is seqlock-like: the
// caller makes the generation odd, waits until no worker is inside a loop, writes
// the fields, then makes it even. A worker announces itself in busy_ before
// reading the generation, so it either sees the odd value and backs off, or the
// caller sees it busy and waits for it (all seq_cst: the two sides form Dekker's
// pattern). Stragglers from an old loop only find its counter exhausted.
#include "kernels/cpu/thread_pool.h"

#include <chrono>
#include <memory>

#include "common/check.h"

namespace gs::kernels::cpu {
namespace {

// How long an idle worker spins before sleeping: longer than the gap between two
// kernels of one decode step, far shorter than a scheduler time slice.
constexpr auto kSpinTime = std::chrono::microseconds(200);

thread_local bool t_in_pool = false;  // this thread is running a chunk
thread_local int t_thread = 0;        // its index in the team

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins for kSpinTime, checking done() every few dozen pauses; false if time ran out.
template <typename Done>
bool spin_until(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  GS_CHECK(threads >= 1, "CPU threads must be at least 1, got " << threads);
  workers_.reserve(threads - 1);
  for (int t = 1; t < threads; ++t) workers_.emplace_back([this, t] { work(t); });
}

ThreadPool::~ThreadPool() {
  const std::uint32_t g = generation_.load();
  generation_.store(g + 1);
  while (busy_.load() != 0) cpu_relax();
  stopping_ = true;
  generation_.store(g + 2);
  generation_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::dispatch(int chunks, Call call, void* body) {
  if (t_in_pool) {  // nested: this thread is already one of the team's
    for (int c = 0; c < chunks; ++c) call(body, c, t_thread);
    return;
  }
  const std::uint32_t g = generation_.load();
  generation_.store(g + 1);
  while (busy_.load() != 0) cpu_relax();  // a straggler reading the previous loop
  chunks_ = chunks;
  call_ = call;
  body_ = body;
  next_.store(0);
  finished_.store(0);
  generation_.store(g + 2);
  if (sleepers_.load() > 0) generation_.notify_all();

  t_in_pool = true;
  drain(0);
  t_in_pool = false;
  // Only chunks some worker has started remain; wait for them, yielding the core
  // if that worker is not running (it may share this core with another process).
  auto all_done = [&] { return finished_.load(std::memory_order_acquire) == chunks; };
  while (!spin_until(all_done)) std::this_thread::yield();
}

void ThreadPool::drain(int thread) {
  for (;;) {
    const int c = next_.fetch_add(1, std::memory_order_relaxed);
    if (c >= chunks_) return;
    call_(body_, c, thread);
    finished_.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::work(int thread) {
  t_in_pool = true;
  t_thread = thread;
  std::uint32_t seen = 0;
  for (;;) {
    auto published = [&] {
      const std::uint32_t g = generation_.load(std::memory_order_acquire);
      return g != seen && g % 2 == 0;
    };
    if (!spin_until(published)) {
      sleepers_.fetch_add(1);
      // Sleep while the generation is still the one seen (or odd: being written);
      // the caller notifies after publishing if it sees a sleeper.
      for (std::uint32_t g = generation_.load(); !(g != seen && g % 2 == 0); g = generation_.load())
        generation_.wait(g);
      sleepers_.fetch_sub(1);
    }
    busy_.fetch_add(1);
    const std::uint32_t g = generation_.load();
    if (g % 2 == 0 && g != seen) {
      if (stopping_) {
        busy_.fetch_sub(1);
        return;
      }
      drain(thread);
      seen = g;
    }
    busy_.fetch_sub(1);
  }
}

}  // namespace gs::kernels::cpu
