#include "bench/memory_bandwidth.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>

#include "common/check.h"

namespace gs::bench {

namespace {

// Independent partial sums per thread: enough vector registers in flight that add
// latency never limits the read rate.
constexpr std::size_t kLanes = 64;
constexpr std::size_t kHugePage = std::size_t(2) << 20;

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

// Huge pages where the kernel grants them: filling the buffer then costs a few
// hundred page faults rather than a few hundred thousand, and TLB misses do not
// hide the memory's own rate.
std::unique_ptr<float[], FreeDeleter> allocate_floats(std::size_t n) {
  const std::size_t bytes = (n * sizeof(float) + kHugePage - 1) / kHugePage * kHugePage;
  float* data = static_cast<float*>(std::aligned_alloc(kHugePage, bytes));
  GS_CHECK(data, "read bandwidth test: cannot allocate " << (bytes >> 20) << " MiB");
  madvise(data, bytes, MADV_HUGEPAGE);  // advice only: normal pages work too
  return std::unique_ptr<float[], FreeDeleter>(data);
}

}  // namespace

std::size_t default_stream_bytes() {
  const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
  return std::clamp<std::size_t>(llc > 0 ? 4 * std::size_t(llc) : 0, std::size_t(256) << 20,
                                 std::size_t(512) << 20);
}

double measure_read_bandwidth(std::size_t bytes, int runs) {
  const std::size_t blocks = bytes / (kLanes * sizeof(float));
  GS_CHECK(blocks >= 1 && runs >= 1, "read bandwidth test: needs at least "
                                         << kLanes * sizeof(float) << " bytes and one run");
  const std::size_t n = blocks * kLanes;
  const auto data = allocate_floats(n);
  // The parallel fill touches each page from the thread that later reads it, as
  // STREAM does.
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) data[i] = 1.0f;

  double best = 0.0;
  volatile float sink = 0.0f;  // keeps the sums from being optimised away
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    float sum = 0.0f;
#pragma omp parallel reduction(+ : sum)
    {
      float lanes[kLanes] = {};
#pragma omp for schedule(static)
      for (std::size_t block = 0; block < blocks; ++block) {
        const float* p = data.get() + block * kLanes;
#pragma omp simd
        for (std::size_t l = 0; l < kLanes; ++l) lanes[l] += p[l];
      }
      for (std::size_t l = 0; l < kLanes; ++l) sum += lanes[l];
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    sink = sink + sum;
    best = std::max(best, static_cast<double>(n * sizeof(float)) / seconds / 1e9);
  }
  return best;
}

}  // namespace gs::bench
