// Kernel benchmarks run with the engine's thread count rule for one process: the
// OpenMP default (all cores, or OMP_NUM_THREADS), shared with OpenBLAS.
#include <benchmark/benchmark.h>

#include <string>

#include "kernels/cpu/fast.h"

int main(int argc, char** argv) {
  gs::kernels::cpu::set_threads(gs::kernels::cpu::threads());
  benchmark::AddCustomContext("threads", std::to_string(gs::kernels::cpu::threads()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
