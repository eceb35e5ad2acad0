// RMSNorm and RoPE over n tokens of a 2048-wide model (32 heads of 64): cheap next
// to the matmuls, measured to confirm they stay bandwidth-bound and small.
#include <benchmark/benchmark.h>

#include <cmath>

#include "benchmarks/random_fill.h"
#include "kernels/cpu/fast.h"

namespace gs::benchmarks {
namespace {

constexpr int kDim = 2048, kHeads = 32, kHeadDim = 64;

// Arg: n tokens.
void BM_rmsnorm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::vector<float> x = random_floats(std::size_t(n) * kDim, 1), weight = random_floats(kDim, 2);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    kernels::cpu::rmsnorm(x.data(), weight.data(), y.data(), n, kDim, 1e-5f);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double bytes = 4.0 * (2.0 * n * kDim + kDim);  // read x and weight, write y
  state.counters["bytes/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

// Arg: n tokens, each at its own position of a 4096-position table.
void BM_rope(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0)), positions = 4096, half = kHeadDim / 2;
  std::vector<float> x = random_floats(std::size_t(n) * kHeads * kHeadDim, 1);
  std::vector<float> cos_table(std::size_t(positions) * half), sin_table(cos_table.size());
  for (int p = 0; p < positions; ++p) {
    for (int i = 0; i < half; ++i) {
      const float angle = p * std::pow(10000.0f, -2.0f * i / kHeadDim);
      cos_table[std::size_t(p) * half + i] = std::cos(angle);
      sin_table[std::size_t(p) * half + i] = std::sin(angle);
    }
  }
  std::vector<int> pos(n);
  for (int t = 0; t < n; ++t) pos[t] = t % positions;
  for (auto _ : state) {
    kernels::cpu::rope(x.data(), n, kHeads, kHeadDim, pos.data(), cos_table.data(), sin_table.data());
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  const double bytes = 4.0 * 2.0 * n * kHeads * kHeadDim;  // x read and written in place
  state.counters["bytes/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

BENCHMARK(BM_rmsnorm)->Arg(1)->Arg(16)->Arg(256)->UseRealTime();
BENCHMARK(BM_rope)->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

}  // namespace
}  // namespace gs::benchmarks
