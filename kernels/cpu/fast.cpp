// The thread count of the fast kernels: the size of the one ThreadPool they run
// on. OpenBLAS is kept single-threaded because matmul calls it from every thread
// of that pool, each on its own slice of the weights; OpenMP's count only sizes
// the benchmarks' own loops (bench/memory_bandwidth.cpp).
#include "kernels/cpu/fast.h"

#include <cblas.h>
#include <omp.h>

#include <memory>

#include "common/check.h"
#include "kernels/cpu/thread_pool.h"

namespace gs::kernels::cpu {
namespace {

std::unique_ptr<ThreadPool>& pool_slot() {
  static std::unique_ptr<ThreadPool> pool;
  return pool;
}

}  // namespace

ThreadPool& thread_pool() {
  std::unique_ptr<ThreadPool>& pool = pool_slot();
  // Until set_threads is called: OpenMP's default (all cores, or OMP_NUM_THREADS).
  if (!pool) set_threads(omp_get_max_threads());
  return *pool;
}

void set_threads(int threads) {
  GS_CHECK(threads >= 1, "CPU threads must be at least 1, got " << threads);
  omp_set_num_threads(threads);
  openblas_set_num_threads(1);
  std::unique_ptr<ThreadPool>& pool = pool_slot();
  if (pool && pool->threads() == threads) return;
  pool.reset();  // join the old team before starting the new one
  pool = std::make_unique<ThreadPool>(threads);
}

int threads() { return thread_pool().threads(); }

}  // namespace gs::kernels::cpu
