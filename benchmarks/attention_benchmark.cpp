// GQA decode attention: one token's H = 32 query heads over a context of L cached
// positions in G KV groups (G = 32 is MHA, G = 1 MQA). The kernel streams each
// K/V head once for its whole group, so the bytes it must read, 2·G·L·d floats,
// fall with G while the arithmetic stays the same: time should follow G.
#include <benchmark/benchmark.h>

#include <cmath>
#include <numeric>

#include "benchmarks/random_fill.h"
#include "kernels/cpu/fast.h"

namespace gs::benchmarks {
namespace {

constexpr int kHeads = 32, kHeadDim = 64;

// Args: G, L.
void BM_gqa_attention(benchmark::State& state) {
  const int groups = static_cast<int>(state.range(0)), context = static_cast<int>(state.range(1));
  const std::vector<float> k = random_floats(std::size_t(groups) * context * kHeadDim, 1);
  const std::vector<float> v = random_floats(k.size(), 2);
  const std::vector<float> q = random_floats(std::size_t(kHeads) * kHeadDim, 3);
  std::vector<float> out(q.size());
  std::vector<int> kv_of_q(kHeads);
  for (int h = 0; h < kHeads; ++h) kv_of_q[h] = h / (kHeads / groups);
  // One sequence whose blocks lie in order: the table is 0, 1, 2, ...
  const int block_size = 16, row = 0, length = context;
  std::vector<int> blocks((context + block_size - 1) / block_size);
  std::iota(blocks.begin(), blocks.end(), 0);
  std::vector<float> scratch(kernels::cpu::gqa_attention_scratch_floats(kHeads / groups, context));

  kernels::KvCacheView kv{k.data(), v.data(), static_cast<int>(blocks.size()), block_size, groups, kHeadDim};
  kernels::AttentionBatch batch;
  batch.n_tokens = 1;
  batch.n_q_heads = kHeads;
  batch.head_dim = kHeadDim;
  batch.q = q.data();
  batch.out = out.data();
  batch.kv_of_q = kv_of_q.data();
  batch.tables = {blocks.data(), static_cast<int>(blocks.size()), &row};
  batch.lengths = &length;
  batch.scale = 1.0f / std::sqrt(float(kHeadDim));
  for (auto _ : state) {
    kernels::cpu::gqa_attention(batch, kv, scratch);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double kv_bytes = 2.0 * groups * double(context) * kHeadDim * sizeof(float);
  state.counters["KV_bytes"] = kv_bytes;
  state.counters["bytes/s"] = benchmark::Counter(kv_bytes, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

BENCHMARK(BM_gqa_attention)
    ->ArgNames({"G", "L"})
    ->ArgsProduct({{1, 2, 4, 8, 16, 32}, {512, 2048, 4096, 8192}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gs::benchmarks
