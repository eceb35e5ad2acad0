// All-reduce bandwidth of the engine's MPI communicator, reported as nccl-tests
// does so figures compare directly: algbw = bytes / time, busbw = algbw · 2(n-1)/n
// (the traffic each link carries in a ring all-reduce, independent of n).
//
// Run under mpirun: scripts/mpirun.sh -np 2 build/benchmarks/allreduce_benchmark.
// Every rank must make the same calls, so iteration counts are fixed per size
// (never Google Benchmark's adaptive choice, which each rank would make alone);
// an iteration's time is the slowest rank's; only rank 0 prints.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "parallel/mpi_channels.h"

namespace gs::benchmarks {
namespace {

// Arg: bytes reduced (floats, summed).
void BM_all_reduce(benchmark::State& state) {
  MpiChannels comm(MPI_COMM_WORLD);
  const std::size_t bytes = static_cast<std::size_t>(state.range(0));
  std::vector<float> data(bytes / sizeof(float), 1.0f);
  for (auto _ : state) {
    comm.barrier();
    const auto start = std::chrono::steady_clock::now();
    comm.tensors.all_reduce_sum(host_floats(data.data(), data.size()), nullptr);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    state.SetIterationTime(seconds);
    // Keep values bounded (sums would double each time) without changing the payload size.
    std::fill(data.begin(), data.end(), 1.0f);
  }
  const int n = comm.size();
  state.counters["ranks"] = n;
  state.counters["algbw"] = benchmark::Counter(double(bytes), benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::kIs1000);
  state.counters["busbw"] = benchmark::Counter(double(bytes) * 2.0 * (n - 1) / n,
                                               benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::kIs1000);
}

// Fewer iterations for larger messages so each size takes a similar time.
int iterations_for(std::int64_t bytes) {
  return static_cast<int>(std::clamp<std::int64_t>((std::int64_t(512) << 20) / bytes, 10, 2000));
}

// Drops every report: ranks other than 0 run the same collectives silently.
class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace
}  // namespace gs::benchmarks

int main(int argc, char** argv) {
  gs::MpiSession mpi(&argc, &argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // 4 KiB (one decode token's hidden state at dim 1024) to 64 MiB.
  for (std::int64_t bytes = 4 << 10; bytes <= (64 << 20); bytes *= 4) {
    benchmark::RegisterBenchmark("BM_all_reduce", gs::benchmarks::BM_all_reduce)
        ->Arg(bytes)
        ->ArgName("bytes")
        ->Iterations(gs::benchmarks::iterations_for(bytes))
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  }
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    gs::benchmarks::SilentReporter silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  return 0;
}
