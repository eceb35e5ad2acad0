// The GQA paper's identities, checked against attention written from its formula:
// GQA with G = H is multi-head attention, with G = 1 multi-query attention, and
// GQA-G equals MHA over a cache where each query head has a copy of its group's
// K/V head (what expanding a GQA checkpoint to MHA does).
#include "kernels/cpu/fast.h"
#include "kernels/cpu/reference.h"
#include "tests/kernels/attention_case.h"

namespace gs::kernels::test {
namespace {

// The formulas are evaluated in double, so float kernels differ from them only by
// their own rounding: 1e-5 relative (absolute near zero), as for every kernel.
constexpr double kIdentityTolerance = 1e-5;

// softmax_j(scale * q·k_j) weighted sum of v_j over positions j < len of slot's
// KV head kv_head, in double.
std::vector<double> attend(const AttentionCase& c, const float* q, int slot, int kv_head, int len,
                           double scale) {
  const int d = c.head_dim;
  std::vector<double> score(len);
  for (int j = 0; j < len; ++j) {
    double dot = 0.0;
    for (int i = 0; i < d; ++i) dot += double(q[i]) * c.k[c.key_at(slot, kv_head, j, i)];
    score[j] = scale * dot;
  }
  const double max = *std::max_element(score.begin(), score.end());
  double total = 0.0;
  for (double& s : score) total += s = std::exp(s - max);
  std::vector<double> out(d, 0.0);
  for (int j = 0; j < len; ++j)
    for (int i = 0; i < d; ++i) out[i] += score[j] / total * c.v[c.value_at(slot, kv_head, j) + i];
  return out;
}

// Attention where query head h reads KV head kv_head(h): MHA is kv_head(h) = h,
// MQA is kv_head(h) = 0. Output (n_tokens, n_q_heads, head_dim).
template <typename KvHeadOf>
std::vector<double> attention_formula(const AttentionCase& c, KvHeadOf kv_head) {
  const int d = c.head_dim;
  std::vector<double> out;
  for (int t = 0; t < c.n_tokens(); ++t) {
    for (int h = 0; h < c.n_q_heads(); ++h) {
      const float* q = c.q.data() + (std::size_t(t) * c.n_q_heads() + h) * d;
      const auto o = attend(c, q, c.slots[t], kv_head(h), c.lengths[t], 1.0 / std::sqrt(double(d)));
      out.insert(out.end(), o.begin(), o.end());
    }
  }
  return out;
}

// Reference and fast kernels (one and two threads) against the expected output.
void expect_kernels_match(const AttentionCase& c, int max_q_per_kv,
                          const std::vector<double>& want) {
  std::vector<float> out;
  ref::gqa_attention(c.batch(out), c.view());
  expect_close(out, want, kIdentityTolerance);
  for (int threads : {1, 2}) {
    ScopedThreads scoped(threads);
    std::vector<float> scratch(cpu::gqa_attention_scratch_floats(max_q_per_kv, c.table_positions()));
    cpu::gqa_attention(c.batch(out), c.view(), scratch);
    expect_close(out, want, kIdentityTolerance);
  }
}

TEST(GqaIdentity, GroupsEqualToHeadsIsMultiHeadAttention) {
  for (int n_heads : {1, 4, 8}) {
    SCOPED_TRACE(n_heads);
    std::mt19937 rng(n_heads);
    const auto c = make_attention_case(even_groups(n_heads, 1), n_heads, 32, 30, rng);
    expect_kernels_match(c, 1, attention_formula(c, [](int h) { return h; }));
  }
}

TEST(GqaIdentity, OneGroupIsMultiQueryAttention) {
  for (int n_heads : {1, 4, 8}) {
    SCOPED_TRACE(n_heads);
    std::mt19937 rng(100 + n_heads);
    const auto c = make_attention_case(even_groups(1, n_heads), 1, 32, 30, rng);
    expect_kernels_match(c, n_heads, attention_formula(c, [](int) { return 0; }));
  }
}

// The same problem over a cache with one KV head per query head, each a copy of
// the head its group shares.
AttentionCase expand_to_mha(const AttentionCase& gqa) {
  AttentionCase mha = gqa;
  mha.n_kv_heads = gqa.n_q_heads();
  std::iota(mha.kv_of_q.begin(), mha.kv_of_q.end(), 0);
  mha.k.resize(std::size_t(mha.n_blocks()) * mha.block_size * mha.n_kv_heads * mha.head_dim);
  mha.v.resize(mha.k.size());
  const std::size_t head_floats = std::size_t(gqa.block_size) * gqa.head_dim;
  for (int block = 0; block < gqa.n_blocks(); ++block) {
    for (int h = 0; h < mha.n_q_heads(); ++h) {
      const std::size_t src = gqa.view().block_offset(block, gqa.kv_of_q[h]);
      const std::size_t dst = mha.view().block_offset(block, h);
      std::copy_n(gqa.k.begin() + src, head_floats, mha.k.begin() + dst);
      std::copy_n(gqa.v.begin() + src, head_floats, mha.v.begin() + dst);
    }
  }
  return mha;
}

TEST(GqaIdentity, ExpandingKvHeadsToMhaChangesNothing) {
  // Each query head goes through the same float operations whatever its group
  // size, so the outputs are bit-identical, not merely close.
  std::mt19937 rng(7);
  const auto gqa = make_attention_case(even_groups(2, 4), 2, 64, 30, rng);
  const auto mha = expand_to_mha(gqa);
  std::vector<float> grouped, expanded;
  ref::gqa_attention(gqa.batch(grouped), gqa.view());
  ref::gqa_attention(mha.batch(expanded), mha.view());
  EXPECT_EQ(grouped, expanded);
  for (int threads : {1, 2}) {
    ScopedThreads scoped(threads);
    std::vector<float> scratch(cpu::gqa_attention_scratch_floats(4, gqa.table_positions()));
    cpu::gqa_attention(gqa.batch(grouped), gqa.view(), scratch);
    cpu::gqa_attention(mha.batch(expanded), mha.view(), scratch);
    EXPECT_EQ(grouped, expanded);
  }
}

}  // namespace
}  // namespace gs::kernels::test
