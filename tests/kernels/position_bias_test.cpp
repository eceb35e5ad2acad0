// T5's relative-position bias in attention (AttentionBatch::position_bias) and the
// feed-forward activations (Backend::activate): the fast CPU kernel against the
// reference, and the reference against values computed by hand.
#include <cmath>
#include <vector>

#include "kernels/backend.h"
#include "common/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/reference.h"
#include "tests/kernels/attention_case.h"

namespace gs::kernels::test {
namespace {

struct BiasedCase {
  AttentionCase c;
  std::vector<int> positions;
  std::vector<float> bias;  // (n_q_heads, 2 * capacity - 1)

  AttentionBatch batch(std::vector<float>& out) const {
    AttentionBatch b = c.batch(out);
    b.position_bias = bias.data();
    b.position_bias_stride = 2 * c.capacity - 1;
    b.position_bias_offset = c.capacity - 1;
    b.positions = positions.data();
    return b;
  }
};

// Query positions: causal (length - 1, the decoder) for even tokens and anywhere
// in [0, length) (the encoder: every token attends to the whole input) for odd ones.
BiasedCase make_biased_case(int group, int n_kv_heads, int head_dim, std::mt19937& rng) {
  BiasedCase b;
  std::vector<int> kv_of_q;
  for (int h = 0; h < n_kv_heads; ++h)
    for (int g = 0; g < group; ++g) kv_of_q.push_back(h);
  b.c = make_attention_case(kv_of_q, n_kv_heads, head_dim, 40, rng);
  for (int t = 0; t < b.c.n_tokens(); ++t) {
    const int len = b.c.lengths[t];
    b.positions.push_back(t % 2 == 0 ? len - 1 : std::uniform_int_distribution<int>(0, len - 1)(rng));
  }
  b.bias = random_floats(std::size_t(b.c.n_q_heads()) * (2 * b.c.capacity - 1), rng, -3.0f, 3.0f);
  return b;
}

TEST(PositionBias, FastMatchesReference) {
  for (int threads : {1, 2})
    for (int group : {1, 3, 8})
      for (int head_dim : {4, 17, 64}) {
        ScopedThreads scoped(threads);
        std::mt19937 rng(group * 100 + head_dim);
        const BiasedCase b = make_biased_case(group, 2, head_dim, rng);
        std::vector<float> fast, reference;
        std::vector<float> scratch(cpu::gqa_attention_scratch_floats(group, b.c.table_positions()));
        cpu::gqa_attention(b.batch(fast), b.c.view(), scratch);
        ref::gqa_attention(b.batch(reference), b.c.view());
        expect_close(fast, reference, kFloatVsDouble);
      }
}

TEST(PositionBias, BiasAloneWeighsTheValuesBySoftmaxOfTheBias) {
  // q = 0: every score is its bias, so out = sum_j softmax(bias)_j v_j.
  std::mt19937 rng(7);
  BiasedCase b = make_biased_case(2, 1, 4, rng);
  std::fill(b.c.q.begin(), b.c.q.end(), 0.0f);
  std::vector<float> out;
  ref::gqa_attention(b.batch(out), b.c.view());
  const int stride = 2 * b.c.capacity - 1, offset = b.c.capacity - 1;
  for (int t = 0; t < b.c.n_tokens(); ++t)
    for (int h = 0; h < b.c.n_q_heads(); ++h) {
      const int len = b.c.lengths[t], p = b.positions[t];
      std::vector<double> w(len);
      double sum = 0;
      for (int j = 0; j < len; ++j) sum += w[j] = std::exp(double(b.bias[h * stride + offset + j - p]));
      for (int i = 0; i < 4; ++i) {
        double want = 0;
        for (int j = 0; j < len; ++j) want += w[j] / sum * b.c.v[b.c.value_at(b.c.slots[t], b.c.kv_of_q[h], j) + i];
        EXPECT_NEAR(out[(std::size_t(t) * b.c.n_q_heads() + h) * 4 + i], want, 1e-5) << "token " << t;
      }
    }
}

TEST(PositionBias, ReadsOutsideTheTableAreRejected) {
  std::mt19937 rng(3);
  BiasedCase b = make_biased_case(1, 1, 4, rng);
  std::vector<float> out;
  AttentionBatch batch = b.batch(out);
  batch.position_bias_stride = 3;  // far too short for 40 positions
  EXPECT_THROW(ref::gqa_attention(batch, b.c.view()), Error);
  std::vector<float> scratch(cpu::gqa_attention_scratch_floats(1, b.c.table_positions()));
  EXPECT_THROW(cpu::gqa_attention(batch, b.c.view(), scratch), Error);
}

TEST(Activate, HuggingFaceDefinitionsByHand) {
  const std::vector<float> x = {-2.0f, -0.5f, 0.0f, 1.0f, 3.0f};
  const std::vector<float> up = {2.0f, 2.0f, 2.0f, 2.0f, 2.0f};
  auto run = [&](Activation act, bool gated) {
    std::vector<float> out(x.size());
    ref::activate(act, x.data(), gated ? up.data() : nullptr, out.data(), x.size());
    return out;
  };
  // Values from Python's math module. relu; gelu = x Φ(x); gelu_new = 0.5x(1 + tanh(sqrt(2/π)(x + 0.044715x³))); silu = x σ(x).
  const std::vector<double> relu = {0, 0, 0, 1, 3};
  const std::vector<double> gelu = {-0.045500263896, -0.154268769363, 0, 0.841344746069, 2.995950305905};
  const std::vector<double> gelu_new = {-0.045402305912, -0.154285990175, 0, 0.841191990608, 2.996362607918};
  const std::vector<double> silu = {-0.238405844044, -0.188770334399, 0, 0.731058578630, 2.857722380467};
  const std::pair<Activation, const std::vector<double>*> cases[] = {
      {Activation::relu, &relu}, {Activation::gelu, &gelu}, {Activation::gelu_tanh, &gelu_new}, {Activation::silu, &silu}};
  for (const auto& [act, want] : cases) {
    const std::vector<float> plain = run(act, false), gated = run(act, true);
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(plain[i], (*want)[i], 2e-6) << "activation " << int(act) << " of " << x[i];
      EXPECT_NEAR(gated[i], 2 * (*want)[i], 4e-6) << "gated activation " << int(act) << " of " << x[i];
    }
  }
  // Every CPU backend has it.
  for (BackendKind kind : {BackendKind::reference, BackendKind::cpu}) {
    std::unique_ptr<Backend> be = make_backend(kind, {1, 16});
    std::vector<float> out(x.size());
    be->activate(Activation::gelu_tanh, x.data(), up.data(), out.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(out[i], 2 * gelu_new[i], 4e-6);
  }
}

}  // namespace
}  // namespace gs::kernels::test
