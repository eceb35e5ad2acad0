// The kernels' thread pool: every chunk runs exactly once per call, results are
// visible when run returns, nested calls run inline, and a slow thread does not
// hold back the chunks nobody has claimed yet.
#include "kernels/cpu/thread_pool.h"

#include "kernels/cpu/fast.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace gs::kernels::cpu {
namespace {

TEST(ThreadPool, EveryChunkRunsOnceOnAValidThread) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int round = 0; round < 2000; ++round) {
      const int chunks = 1 + round % 37;
      std::vector<int> runs(chunks, 0);  // plain ints: run must publish them
      std::atomic<bool> bad_thread{false};
      pool.run(chunks, [&](int c, int thread) {
        ++runs[c];
        if (thread < 0 || thread >= threads) bad_thread = true;
      });
      for (int c = 0; c < chunks; ++c) ASSERT_EQ(runs[c], 1) << "round " << round << " chunk " << c;
      ASSERT_FALSE(bad_thread);
    }
  }
}

TEST(ThreadPool, WorkersThatSleptPickUpLaterWork) {
  ThreadPool pool(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the spin: workers asleep
  std::atomic<int> on_worker{0};
  for (int round = 0; round < 50 && on_worker == 0; ++round) {
    pool.run(64, [&](int, int thread) {
      if (thread != 0) ++on_worker;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    });
  }
  EXPECT_GT(on_worker, 0) << "the worker never woke up to take a chunk";
}

TEST(ThreadPool, NestedRunsInlineOnTheSameThread) {
  ThreadPool pool(2);
  std::vector<int> inner(8 * 5, 0);
  std::atomic<bool> moved{false};
  pool.run(8, [&](int outer, int thread) {
    pool.run(5, [&](int c, int inner_thread) {
      ++inner[outer * 5 + c];
      if (inner_thread != thread) moved = true;
    });
  });
  for (int v : inner) EXPECT_EQ(v, 1);
  EXPECT_FALSE(moved);
}

TEST(ThreadPool, ASlowThreadDoesNotHoldBackUnclaimedChunks) {
  // A worker stalls 100 ms in its first chunk, as one the OS descheduled would:
  // the caller runs every other chunk (a static split would leave half to it).
  ThreadPool pool(2);
  std::atomic<int> on_worker{0}, total{0};
  pool.run(101, [&](int, int thread) {
    ++total;
    if (thread != 0) {
      ++on_worker;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  EXPECT_EQ(total, 101);
  EXPECT_LE(on_worker, 1);
}

TEST(ThreadPool, ParallelForCoversTheRangeInGrains) {
  const int saved = threads();
  for (int team : {1, 2}) {
    set_threads(team);
    std::vector<int> hits(1003, 0);
    parallel_for(1003, 10, [&](int begin, int end, int) {
      EXPECT_LE(end - begin, 10);
      for (int i = begin; i < end; ++i) ++hits[i];
    });
    for (int h : hits) EXPECT_EQ(h, 1);
  }
  set_threads(saved);
}

}  // namespace
}  // namespace gs::kernels::cpu
