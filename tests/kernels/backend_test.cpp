// Both backends, driven only through the Backend interface, agree op by op.
#include "kernels/backend.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "kernels/cpu/reference.h"
#include "tests/kernels/attention_case.h"

namespace gs::kernels::test {
namespace {

// A one-layer cache of `backend` holding the case's keys and values in the case's
// blocks, written through store_kv one position of every slot at a time.
std::unique_ptr<KvCache> cache_of(Backend& backend, const AttentionCase& c) {
  std::unique_ptr<KvCache> cache =
      backend.make_kv_cache({1, c.n_blocks(), c.block_size, c.n_kv_heads, c.head_dim});
  const std::size_t row = std::size_t(c.n_kv_heads) * c.head_dim;
  std::vector<float> k(kCaseSlots * row), v(kCaseSlots * row);
  std::vector<int> slots, positions(kCaseSlots);
  for (int s = 0; s < kCaseSlots; ++s) slots.push_back(s);
  for (int j = 0; j < c.capacity; ++j) {
    for (int s = 0; s < kCaseSlots; ++s) {
      positions[s] = j;
      for (int h = 0; h < c.n_kv_heads; ++h) {
        for (int i = 0; i < c.head_dim; ++i) k[s * row + h * c.head_dim + i] = c.k[c.key_at(s, h, j, i)];
        std::copy_n(c.v.begin() + c.value_at(s, h, j), c.head_dim, v.begin() + s * row + h * c.head_dim);
      }
    }
    const BlockTables tables{c.blocks.data(), c.width(), slots.data()};
    backend.store_kv(*cache, 0, {kCaseSlots, k.data(), v.data(), tables, positions.data()});
  }
  return cache;
}

class BackendTest : public ::testing::Test {
 protected:
  static constexpr int kCapacity = 24;
  // Block tables of 24 positions in blocks of 16 cover 32.
  BackendLimits limits{.max_q_per_kv = 3, .cache_capacity = 32};
  std::unique_ptr<Backend> ref_backend = make_backend(BackendKind::reference, limits);
  std::unique_ptr<Backend> cpu_backend = make_backend(BackendKind::cpu, limits);
  std::mt19937 rng{11};
};

TEST_F(BackendTest, Names) {
  EXPECT_EQ(ref_backend->name(), "reference");
  EXPECT_EQ(cpu_backend->name(), "cpu");
}

TEST_F(BackendTest, MatmulAgreesForEveryWeightType) {
  for (DType type : {DType::f32, DType::bf16}) {
    for (int n : {1, 5}) {
      const int in = 96, out = 33;
      const auto x = random_floats(n * in, rng);
      const TestWeights w = random_weights(type, out, in, rng);
      const auto bias = random_floats(out, rng);
      std::vector<float> want(n * out), got(n * out);
      ref_backend->matmul(x.data(), w.matrix(), bias.data(), want.data(), n);
      cpu_backend->matmul(x.data(), w.matrix(), bias.data(), got.data(), n);
      expect_matmul_close(got, want, x, w.values, bias.data(), n, in, out);
    }
  }
}

TEST_F(BackendTest, ElementwiseOpsAgree) {
  const int n = 3, dim = 64;
  const auto x = random_floats(n * dim, rng), other = random_floats(n * dim, rng);
  const auto weight = random_floats(dim, rng);
  std::vector<float> want(n * dim), got(n * dim);
  ref_backend->rmsnorm(x.data(), weight.data(), want.data(), n, dim, 1e-6f);
  cpu_backend->rmsnorm(x.data(), weight.data(), got.data(), n, dim, 1e-6f);
  expect_close(got, want, kFloatVsDouble);

  ref_backend->swiglu(x.data(), other.data(), want.data(), want.size());
  cpu_backend->swiglu(x.data(), other.data(), got.data(), got.size());
  expect_close(got, want, kFloatVsDouble);

  want = x;
  got = x;
  ref_backend->add(want.data(), other.data(), want.size());
  cpu_backend->add(got.data(), other.data(), got.size());
  expect_close(got, want, 0.0);

  // (3 tokens, 2 heads, head_dim 32) rotated by random angles at positions 0..3.
  const auto angles = random_floats(4 * 16, rng, -3.0f, 3.0f);
  std::vector<float> cos_table, sin_table;
  for (float a : angles) {
    cos_table.push_back(std::cos(a));
    sin_table.push_back(std::sin(a));
  }
  const int positions[] = {3, 0, 2};
  want = x;
  got = x;
  ref_backend->rope(want.data(), n, 2, 32, positions, cos_table.data(), sin_table.data());
  cpu_backend->rope(got.data(), n, 2, 32, positions, cos_table.data(), sin_table.data());
  expect_close(got, want, kFloatVsDouble);
}

TEST_F(BackendTest, AttentionThroughTheBackendsCacheEqualsTheKernelOnTheSameValues) {
  const auto c = make_attention_case({0, 0, 0, 1, 1, 2}, 3, 16, kCapacity, rng);
  std::vector<float> direct, want;
  ref::gqa_attention(c.batch(direct), c.view());
  ref_backend->attention(c.batch(want), *cache_of(*ref_backend, c), 0);
  expect_close(want, direct, 0.0);
}

TEST_F(BackendTest, AttentionAgreesEvenAfterTheThreadCountGrows) {
  const auto c = make_attention_case({0, 0, 0, 1, 1, 2}, 3, 16, kCapacity, rng);
  std::vector<float> want, got;
  ref_backend->attention(c.batch(want), *cache_of(*ref_backend, c), 0);
  for (int threads : {1, 2}) {
    ScopedThreads scoped(threads);
    auto backend = make_backend(BackendKind::cpu, limits);
    const auto cache = cache_of(*backend, c);
    cpu::set_threads(threads + 1);  // raised after the backend sized its scratch
    backend->attention(c.batch(got), *cache, 0);
    expect_close(got, want, kFloatVsDouble);
  }
}

TEST_F(BackendTest, AttentionBeyondTheLimitsIsAnError) {
  // 4 query heads share a KV head; the backend was sized for 3.
  const auto c = make_attention_case(even_groups(1, 4), 1, 16, kCapacity, rng);
  std::vector<float> out;
  EXPECT_THROW(cpu_backend->attention(c.batch(out), *cache_of(*cpu_backend, c), 0), gs::Error);
}

TEST_F(BackendTest, StoringOutsideTheCacheIsAnError) {
  const auto cache = cpu_backend->make_kv_cache({1, 2, 16, 1, 8});
  const std::vector<float> row(8, 1.0f);
  const int table_row = 0;
  for (auto [blocks, position] : {std::pair{std::vector<int>{0}, 16},   // beyond the table
                                  std::pair{std::vector<int>{2}, 3},    // a block beyond the pool
                                  std::pair{std::vector<int>{-1}, 0}}) {  // no block assigned
    const BlockTables tables{blocks.data(), 1, &table_row};
    EXPECT_THROW(cpu_backend->store_kv(*cache, 0, {1, row.data(), row.data(), tables, &position}), gs::Error);
  }
}

TEST_F(BackendTest, MemoryRoundTripsAndDataMovementOps) {
  for (Backend* be : {ref_backend.get(), cpu_backend.get()}) {
    EXPECT_EQ(be->memory_space(), MemorySpace::host);
    // Large enough to be a mapping of its own, and small: both allocation paths.
    for (std::size_t count : {std::size_t(10), std::size_t(1) << 16}) {
      const auto values = random_floats(count, rng);
      Buffer b = be->upload_copy(values.data(), values.size());
      ASSERT_EQ(b.bytes(), count * sizeof(float));
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % 64, 0u);
      std::vector<float> back(count);
      be->download(back.data(), b.data(), b.bytes());
      EXPECT_EQ(back, values);
    }
    EXPECT_TRUE(be->allocate(0).empty());

    // embed widens bf16 rows exactly; gather_rows and copy_columns move whole rows/blocks.
    const TestWeights table = random_weights(DType::bf16, 5, 6, rng);
    const int tokens[] = {4, 0, 4};
    std::vector<float> x(3 * 6);
    be->embed(table.matrix(), tokens, 3, x.data());
    for (int t = 0; t < 3; ++t)
      for (int c = 0; c < 6; ++c) EXPECT_EQ(x[t * 6 + c], table.values[tokens[t] * 6 + c]);
    const int rows[] = {2, 0};
    std::vector<float> picked(2 * 6);
    be->gather_rows(x.data(), 6, rows, 2, picked.data());
    EXPECT_EQ(std::vector<float>(picked.begin(), picked.begin() + 6), std::vector<float>(x.begin() + 12, x.end()));
    EXPECT_EQ(std::vector<float>(picked.begin() + 6, picked.end()), std::vector<float>(x.begin(), x.begin() + 6));
    std::vector<float> wide(2 * 10, -1.0f);
    be->copy_columns(picked.data(), 2, 6, wide.data(), 10, 3);
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 10; ++c)
        EXPECT_EQ(wide[r * 10 + c], c >= 3 && c < 9 ? picked[r * 6 + c - 3] : -1.0f) << r << "," << c;
  }
}

// Greedy sampling's op: the first largest value of each row, as std::max_element
// (and the Sampler at temperature 0) picks it.
TEST_F(BackendTest, ArgmaxRowsPicksTheFirstLargestValue) {
  const std::vector<float> x = {1, 3, 3, -2,                  // tie: the lower index
                                -INFINITY, -INFINITY, -5, -5,  // -inf is smaller than any number
                                7, 0, 0, 0,
                                -1, -1, -1, -1};
  for (Backend* be : {ref_backend.get(), cpu_backend.get()}) {
    std::vector<int> ids(4, -1);
    be->argmax_rows(x.data(), 4, 4, ids.data());
    EXPECT_EQ(ids, (std::vector<int>{1, 2, 0, 0}));
  }
  const auto random = random_floats(7 * 1001, rng);
  std::vector<int> ids(7);
  ref_backend->argmax_rows(random.data(), 7, 1001, ids.data());
  for (int r = 0; r < 7; ++r)
    EXPECT_EQ(ids[r], std::max_element(random.begin() + r * 1001, random.begin() + (r + 1) * 1001) -
                          (random.begin() + r * 1001));
}

// The CPU backends keep their KV cache in f32 only: asking for bf16 (a CUDA
// option) is a clear error, not a silent f32 cache.
TEST(MakeBackend, CpuBackendsRefuseABf16KvCache) {
  for (BackendKind kind : {BackendKind::cpu, BackendKind::reference}) {
    EXPECT_NO_THROW(make_backend(kind, {}, {.kv_type = DType::f32}));
    try {
      make_backend(kind, {}, {.kv_type = DType::bf16});
      ADD_FAILURE() << "a bf16 KV cache was accepted";
    } catch (const gs::Error& e) {
      EXPECT_NE(std::string(e.what()).find("keep their KV cache in f32 only"), std::string::npos) << e.what();
    }
  }
}

TEST(MakeBackend, RejectsNonPositiveLimits) {
  EXPECT_THROW(make_backend(BackendKind::cpu, {.max_q_per_kv = 0, .cache_capacity = 8}), gs::Error);
  EXPECT_THROW(make_backend(BackendKind::reference, {.max_q_per_kv = 1, .cache_capacity = 0}),
               gs::Error);
}

}  // namespace
}  // namespace gs::kernels::test
