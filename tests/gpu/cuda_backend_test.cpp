// Every op of the CUDA backend against the reference backend on the same inputs
// (the llama.cpp test-backend-ops habit), over awkward shapes: head_dim 8/64/128,
// odd lengths, G = 1 … H, contexts spanning several attention chunks. Skipped, with
// the reason, where no GPU is visible.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "kernels/backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "tests/kernels/attention_case.h"

namespace gs::kernels::test {
namespace {

class CudaBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::visible_devices() == 0) GTEST_SKIP() << "no CUDA device visible: GPU tests need an NVIDIA GPU";
    gpu = make_backend(BackendKind::cuda, limits, {.device = 0});
    ref = make_backend(BackendKind::reference, limits);
  }
  template <typename T>
  Buffer up(const std::vector<T>& host) { return gpu->upload_copy(host.data(), host.size()); }
  std::vector<float> down(const Buffer& b, std::size_t count) {
    std::vector<float> host(count);
    gpu->download(host.data(), b.data(), count * sizeof(float));
    return host;
  }
  // A one-layer cache of `be` holding the case's keys and values in the case's
  // blocks, stored position by position.
  std::unique_ptr<KvCache> cache_of(Backend& be, const AttentionCase& c) {
    auto cache = be.make_kv_cache({1, c.n_blocks(), c.block_size, c.n_kv_heads, c.head_dim});
    const std::size_t row = std::size_t(c.n_kv_heads) * c.head_dim;
    std::vector<float> k(kCaseSlots * row), v(kCaseSlots * row);
    std::vector<int> slots, positions(kCaseSlots);
    for (int s = 0; s < kCaseSlots; ++s) slots.push_back(s);
    Buffer dk, dv, ds, dp;
    const Buffer db = up(c.blocks);
    for (int j = 0; j < c.capacity; ++j) {
      for (int s = 0; s < kCaseSlots; ++s) {
        positions[s] = j;
        for (int h = 0; h < c.n_kv_heads; ++h) {
          for (int i = 0; i < c.head_dim; ++i) k[s * row + h * c.head_dim + i] = c.k[c.key_at(s, h, j, i)];
          std::copy_n(c.v.begin() + c.value_at(s, h, j), c.head_dim, v.begin() + s * row + h * c.head_dim);
        }
      }
      if (be.memory_space() == MemorySpace::host) {
        const BlockTables tables{c.blocks.data(), c.width(), slots.data()};
        be.store_kv(*cache, 0, {kCaseSlots, k.data(), v.data(), tables, positions.data()});
      } else {
        dk = up(k), dv = up(v), ds = up(slots), dp = up(positions);
        const BlockTables tables{db.as<int>(), c.width(), ds.as<int>()};
        be.store_kv(*cache, 0, {kCaseSlots, dk.as<float>(), dv.as<float>(), tables, dp.as<int>()});
      }
    }
    return cache;
  }

  BackendLimits limits{.max_q_per_kv = 16, .cache_capacity = 304};  // 300 positions in blocks of 16
  std::unique_ptr<Backend> gpu, ref;
  std::mt19937 rng{5};
};

float round_bf16(float x) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  return std::bit_cast<float>((bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u);
}

TEST_F(CudaBackendTest, MatmulMatchesTheReference) {
  for (DType type : {DType::f32, DType::bf16}) {
    for (int n : {1, 3, 17}) {
      for (auto [in, out] : {std::pair{96, 33}, std::pair{64, 128}}) {
        auto x = random_floats(std::size_t(n) * in, rng);
        // bf16 GEMMs round the activations to bf16 too; the reference sees the same values.
        if (type == DType::bf16) for (float& a : x) a = round_bf16(a);
        const TestWeights w = random_weights(type, out, in, rng);
        const auto bias = random_floats(out, rng);
        std::vector<float> want(std::size_t(n) * out);
        ref->matmul(x.data(), w.matrix(), bias.data(), want.data(), n);
        Buffer dx = up(x), dbias = up(bias), dy = gpu->allocate(want.size() * 4);
        Buffer dw = type == DType::bf16 ? up(w.bf16) : up(w.values);
        gpu->matmul(dx.as<float>(), {dw.data(), type, out, in}, dbias.as<float>(), dy.as<float>(), n);
        expect_matmul_close(down(dy, want.size()), want, x, w.values, bias.data(), n, in, out);
      }
    }
  }
}

TEST_F(CudaBackendTest, ElementwiseOpsMatchTheReference) {
  const int n = 5, dim = 72;
  const auto x = random_floats(n * dim, rng), other = random_floats(n * dim, rng), weight = random_floats(dim, rng);
  Buffer dx = up(x), dother = up(other), dweight = up(weight), dy = gpu->allocate(x.size() * 4);
  std::vector<float> want(x.size());
  ref->rmsnorm(x.data(), weight.data(), want.data(), n, dim, 1e-5f);
  gpu->rmsnorm(dx.as<float>(), dweight.as<float>(), dy.as<float>(), n, dim, 1e-5f);
  expect_close(down(dy, want.size()), want, kFloatVsDouble);

  ref->swiglu(x.data(), other.data(), want.data(), want.size());
  gpu->swiglu(dx.as<float>(), dother.as<float>(), dy.as<float>(), want.size());
  expect_close(down(dy, want.size()), want, kFloatVsDouble);

  want = x;
  ref->add(want.data(), other.data(), want.size());
  gpu->add(dx.as<float>(), dother.as<float>(), want.size());
  expect_close(down(dx, want.size()), want, kFloatVsDouble);

  for (int head_dim : {8, 64, 128}) {
    const int heads = 3, tokens = 4, positions_n = 40;
    const auto q = random_floats(std::size_t(tokens) * heads * head_dim, rng);
    const auto angles = random_floats(std::size_t(positions_n) * head_dim / 2, rng, -3.0f, 3.0f);
    std::vector<float> cos_t, sin_t;
    for (float a : angles) cos_t.push_back(std::cos(a)), sin_t.push_back(std::sin(a));
    const std::vector<int> positions = {39, 0, 7, 7};
    std::vector<float> rotated = q;
    ref->rope(rotated.data(), tokens, heads, head_dim, positions.data(), cos_t.data(), sin_t.data());
    Buffer dq = up(q), dc = up(cos_t), ds = up(sin_t), dp = up(positions);
    gpu->rope(dq.as<float>(), tokens, heads, head_dim, dp.as<int>(), dc.as<float>(), ds.as<float>());
    expect_close(down(dq, q.size()), rotated, kFloatVsDouble);
  }
}

TEST_F(CudaBackendTest, DataMovementMatchesTheReference) {
  for (DType type : {DType::f32, DType::bf16}) {
    const TestWeights table = random_weights(type, 50, 24, rng);
    const std::vector<int> tokens = {49, 0, 7, 49, 3};
    std::vector<float> want(tokens.size() * 24);
    ref->embed(table.matrix(), tokens.data(), 5, want.data());
    Buffer dt = type == DType::bf16 ? up(table.bf16) : up(table.values);
    Buffer dtok = up(tokens), dx = gpu->allocate(want.size() * 4);
    gpu->embed({dt.data(), type, 50, 24}, dtok.as<int>(), 5, dx.as<float>());
    EXPECT_EQ(down(dx, want.size()), want);

    const std::vector<int> rows = {4, 1};
    std::vector<float> picked(2 * 24), wide(2 * 60, 0.0f);
    ref->gather_rows(want.data(), 24, rows.data(), 2, picked.data());
    ref->copy_columns(picked.data(), 2, 24, wide.data(), 60, 17);
    Buffer drows = up(rows), dpicked = gpu->allocate(picked.size() * 4), dwide = gpu->allocate(wide.size() * 4);
    gpu->gather_rows(dx.as<float>(), 24, drows.as<int>(), 2, dpicked.as<float>());
    gpu->copy_columns(dpicked.as<float>(), 2, 24, dwide.as<float>(), 60, 17);
    EXPECT_EQ(down(dpicked, picked.size()), picked);
    EXPECT_EQ(down(dwide, wide.size()), wide);
  }
}

// Greedy ids on the device: exactly the reference's, ties to the lowest index,
// over row lengths around the block's 256 threads and a vocabulary's 32000.
TEST_F(CudaBackendTest, ArgmaxRowsMatchesTheReference) {
  for (int cols : {1, 31, 256, 257, 1001, 32000}) {
    const int rows = 5;
    auto x = random_floats(std::size_t(rows) * cols, rng);
    // Row 1: its largest value twice, the later copy in another thread's stride.
    if (cols > 1) {
      float* row = x.data() + cols;
      const float top = *std::max_element(row, row + cols) + 1.0f;
      row[cols - 1] = top;
      row[cols / 2] = top;
    }
    // Row 2: all -inf; row 3: all equal.
    std::fill(x.begin() + 2 * cols, x.begin() + 3 * cols, -INFINITY);
    std::fill(x.begin() + 3 * cols, x.begin() + 4 * cols, 0.25f);
    std::vector<int> want(rows), got(rows, -1);
    ref->argmax_rows(x.data(), rows, cols, want.data());
    Buffer dx = up(x), dids = gpu->allocate(rows * sizeof(int));
    gpu->argmax_rows(dx.as<float>(), rows, cols, dids.as<int>());
    gpu->download(got.data(), dids.data(), rows * sizeof(int));
    EXPECT_EQ(got, want) << "cols " << cols;
  }
}

// G = 1 … H for H = 8 and 16, head_dim 8/64/128, contexts up to 300 (three chunks),
// a prefill chunk of every length 1..12 beside decode tokens of other sequences; the
// KV cache in f32 and in bf16 (the CUDA default), whose reference sees the keys and
// values rounded to bf16 as the device stores them.
TEST_F(CudaBackendTest, GqaAttentionMatchesTheReference) {
  for (DType kv_type : {DType::f32, DType::bf16}) {
    gpu = make_backend(BackendKind::cuda, limits, {.device = 0, .kv_type = kv_type});
    for (int head_dim : {8, 64, 128}) {
      for (auto [heads, groups] : {std::pair{8, 1}, std::pair{8, 2}, std::pair{8, 8}, std::pair{16, 4}, std::pair{16, 1}}) {
        for (int capacity : {13, 300}) {
          const auto c = make_attention_case(even_groups(groups, heads / groups), groups, head_dim, capacity, rng);
          AttentionCase stored = c;  // what the device cache holds
          if (kv_type == DType::bf16) {
            for (float& x : stored.k) x = round_bf16(x);
            for (float& x : stored.v) x = round_bf16(x);
          }
          std::vector<float> want, got;
          ref->attention(stored.batch(want), *cache_of(*ref, stored), 0);
          const auto cache = cache_of(*gpu, c);
          Buffer dq = up(c.q), dkv = up(c.kv_of_q), dslots = up(c.slots), dlengths = up(c.lengths),
                 dblocks = up(c.blocks);
          Buffer dout = gpu->allocate(want.size() * 4);
          AttentionBatch b = c.batch(got);
          b.q = dq.as<float>();
          b.out = dout.as<float>();
          b.kv_of_q = dkv.as<int>();
          b.tables = {dblocks.as<int>(), c.width(), dslots.as<int>()};
          b.lengths = dlengths.as<int>();
          gpu->attention(b, *cache, 0);
          SCOPED_TRACE(std::string("kv ") + dtype_name(kv_type) + " head_dim " + std::to_string(head_dim) + " H " +
                       std::to_string(heads) + " G " + std::to_string(groups) + " capacity " +
                       std::to_string(capacity));
          expect_close(down(dout, want.size()), want, kFloatVsDouble);
        }
      }
    }
  }
}

// The CUDA KV cache holds bf16 by default (half the bytes attention streams) and
// f32 on request; the bytes it reports say which.
TEST_F(CudaBackendTest, KvCacheIsBf16ByDefaultAndF32OnRequest) {
  const KvCacheShape shape{2, 4, 16, 3, 64};
  const std::int64_t elements = 2LL * shape.n_layers * shape.positions() * shape.n_kv_heads * shape.head_dim;
  EXPECT_EQ(gpu->make_kv_cache(shape)->bytes(), elements * 2);
  auto f32 = make_backend(BackendKind::cuda, limits, {.device = 0, .kv_type = DType::f32});
  EXPECT_EQ(f32->make_kv_cache(shape)->bytes(), elements * 4);
}

}  // namespace
}  // namespace gs::kernels::test
