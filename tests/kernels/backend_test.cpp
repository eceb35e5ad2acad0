// Both backends, driven only through the Backend interface, agree op by op.
#include "kernels/backend.h"

#include "kernels/check.h"
#include "tests/kernels/attention_case.h"

namespace gs::kernels::test {
namespace {

class BackendTest : public ::testing::Test {
 protected:
  static constexpr int kCapacity = 24;
  BackendLimits limits{.max_q_per_kv = 3, .cache_capacity = kCapacity};
  std::unique_ptr<Backend> ref_backend = make_backend(BackendKind::reference, limits);
  std::unique_ptr<Backend> cpu_backend = make_backend(BackendKind::cpu, limits);
  std::mt19937 rng{11};
};

TEST_F(BackendTest, Names) {
  EXPECT_EQ(ref_backend->name(), "reference");
  EXPECT_EQ(cpu_backend->name(), "cpu");
}

TEST_F(BackendTest, MatmulAgreesForEveryWeightType) {
  for (WeightType type : {WeightType::f32, WeightType::bf16}) {
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

TEST_F(BackendTest, AttentionAgreesEvenAfterTheThreadCountGrows) {
  const auto c = make_attention_case({0, 0, 0, 1, 1, 2}, 3, 16, kCapacity, rng);
  std::vector<float> want, got;
  ref_backend->attention(c.batch(want), c.view());
  for (int threads : {1, 2}) {
    ScopedThreads scoped(threads);
    auto backend = make_backend(BackendKind::cpu, limits);
    cpu::set_threads(threads + 1);  // raised after the backend sized its scratch
    backend->attention(c.batch(got), c.view());
    expect_close(got, want, kFloatVsDouble);
  }
}

TEST_F(BackendTest, AttentionBeyondTheLimitsIsAnError) {
  // 4 query heads share a KV head; the backend was sized for 3.
  const auto c = make_attention_case(even_groups(1, 4), 1, 16, kCapacity, rng);
  std::vector<float> out;
  EXPECT_THROW(cpu_backend->attention(c.batch(out), c.view()), gs::Error);
}

TEST(MakeBackend, RejectsNonPositiveLimits) {
  EXPECT_THROW(make_backend(BackendKind::cpu, {.max_q_per_kv = 0, .cache_capacity = 8}), gs::Error);
  EXPECT_THROW(make_backend(BackendKind::reference, {.max_q_per_kv = 1, .cache_capacity = 0}),
               gs::Error);
}

}  // namespace
}  // namespace gs::kernels::test
