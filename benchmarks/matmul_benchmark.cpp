// matmul y (n, out) = x (n, in) · wᵀ, w (out, in) stored as f32 or bf16: n = 1 is
// the decode GEMV (bound by reading the weights), larger n the batched-decode and
// prefill GEMM (bound by arithmetic). Reported as bytes/s of weights, activations
// and outputs moved, and FLOP/s (SI prefixes: 12.3G/s is 12.3 GB/s).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>

#include "benchmarks/random_fill.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/small_batch.h"

namespace gs::benchmarks {
namespace {

// The weights in the benchmarked storage type; the kernel call is the only line
// that knows the matmul API.
struct Weights {
  std::vector<float> f32;
  std::vector<std::uint16_t> bf16;
  kernels::WeightMatrix matrix;

  Weights(DType type, int out, int in) : f32(random_floats(std::size_t(out) * in, 2)) {
    if (type == DType::f32) {
      matrix = kernels::f32_matrix(f32.data(), out, in);
      return;
    }
    bf16.resize(f32.size());
    for (std::size_t i = 0; i < f32.size(); ++i) {
      std::uint32_t bits;
      std::memcpy(&bits, &f32[i], sizeof(bits));
      bf16[i] = static_cast<std::uint16_t>(bits >> 16);
    }
    f32 = {};
    matrix = kernels::bf16_matrix(bf16.data(), out, in);
  }
};

// Args: n, in, out, weight type (0 f32, 1 bf16). `small_batch` runs the
// small-batch kernel itself whatever n, to place matmul's crossover to BLAS.
void run_matmul(benchmark::State& state, bool small_batch) {
  const int n = static_cast<int>(state.range(0)), in = static_cast<int>(state.range(1)),
            out = static_cast<int>(state.range(2));
  const auto type = state.range(3) == 0 ? DType::f32 : DType::bf16;
  const Weights w(type, out, in);
  const std::vector<float> x = random_floats(std::size_t(n) * in, 1);
  std::vector<float> y(std::size_t(n) * out);
  std::vector<float> scratch(kernels::cpu::matmul_scratch_floats(w.matrix, n));
  for (auto _ : state) {
    if (small_batch) {
      kernels::cpu::small_batch_matmul(x.data(), w.matrix, nullptr, y.data(), n);
    } else {
      kernels::cpu::matmul(x.data(), w.matrix, nullptr, y.data(), n, scratch);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(dtype_name(type));
  const double bytes = double(dtype_size(type)) * out * in + 4.0 * (double(n) * in + double(n) * out);
  const double flops = 2.0 * n * double(in) * out;
  state.counters["bytes/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_matmul(benchmark::State& state) { run_matmul(state, false); }
void BM_small_batch(benchmark::State& state) { run_matmul(state, true); }

// TinyLlama-1.1B's projections: attention (2048 -> 2048), KV with 4 groups
// (2048 -> 256), MLP up (2048 -> 5632) and down (5632 -> 2048). n 1..64 is the
// decode GEMV and the small-batch GEMM; 128 and 512 prefill chunks through BLAS.
// 96 rows of 2048 stay in cache: the small-batch kernel's arithmetic ceiling.
// (Mind L3: a 2048 x 2048 or bf16 2048 x 5632 matrix fits a 32 MiB L3, so those
// figures can beat DRAM bandwidth; the engine's bench streams a whole model.)
BENCHMARK(BM_matmul)
    ->ArgNames({"n", "in", "out", "bf16"})
    ->ArgsProduct({{1, 2, 4, 8, 16, 32, 64, 128, 512}, {2048}, {5632}, {0, 1}})
    ->ArgsProduct({{1, 4, 16, 128}, {2048}, {256, 2048}, {0, 1}})
    ->ArgsProduct({{1, 128}, {5632}, {2048}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_small_batch)
    ->ArgNames({"n", "in", "out", "bf16"})
    ->ArgsProduct({{2, 4, 8, 16, 32, 64}, {2048}, {5632}, {0, 1}})
    ->ArgsProduct({{8, 64}, {5632}, {2048}, {0, 1}})
    ->ArgsProduct({{4, 8}, {2048}, {96}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gs::benchmarks
