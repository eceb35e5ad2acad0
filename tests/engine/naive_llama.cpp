#include "naive_llama.h"

#include <cmath>

namespace gs::testing {

namespace {

using Vec = std::vector<double>;

Vec matvec(const std::vector<float>& w, const Vec& x, int out) {
  const int in = static_cast<int>(x.size());
  Vec y(out, 0.0);
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < in; ++i) y[o] += static_cast<double>(w[static_cast<std::size_t>(o) * in + i]) * x[i];
  return y;
}

Vec rmsnorm(const Vec& x, const std::vector<float>& weight, double eps) {
  double ss = 0.0;
  for (double v : x) ss += v * v;
  const double scale = 1.0 / std::sqrt(ss / x.size() + eps);
  Vec y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * scale * weight[i];
  return y;
}

void add_bias(Vec& y, const DenseWeights& w, WeightKind kind, int layer) {
  if (!w.config.qkv_bias) return;
  const std::vector<float>& b = w.at(kind, layer);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] += b[i];
}

// Rotates interleaved pairs of each head of x by position pos.
void rope(Vec& x, int n_heads, const ModelConfig& c, int pos) {
  for (int h = 0; h < n_heads; ++h)
    for (int i = 0; i < c.head_dim / 2; ++i) {
      const double angle = pos * std::pow(c.rope_theta, -2.0 * i / c.head_dim);
      double& a = x[h * c.head_dim + 2 * i];
      double& b = x[h * c.head_dim + 2 * i + 1];
      const double ra = a * std::cos(angle) - b * std::sin(angle);
      const double rb = a * std::sin(angle) + b * std::cos(angle);
      a = ra;
      b = rb;
    }
}

}  // namespace

std::vector<std::vector<double>> naive_logits(const DenseWeights& w, const std::vector<int>& tokens) {
  const ModelConfig& c = w.config;
  const int n = static_cast<int>(tokens.size()), d = c.head_dim;
  std::vector<Vec> x(n);
  for (int t = 0; t < n; ++t)
    x[t] = Vec(w.at(WeightKind::token_embedding).begin() + static_cast<std::size_t>(tokens[t]) * c.dim,
               w.at(WeightKind::token_embedding).begin() + static_cast<std::size_t>(tokens[t] + 1) * c.dim);

  for (int l = 0; l < c.n_layers; ++l) {
    std::vector<Vec> q(n), k(n), v(n);
    for (int t = 0; t < n; ++t) {
      const Vec xn = rmsnorm(x[t], w.at(WeightKind::attn_norm, l), c.norm_eps);
      q[t] = matvec(w.at(WeightKind::wq, l), xn, c.n_heads * d);
      k[t] = matvec(w.at(WeightKind::wk, l), xn, c.n_kv_heads * d);
      v[t] = matvec(w.at(WeightKind::wv, l), xn, c.n_kv_heads * d);
      add_bias(q[t], w, WeightKind::bq, l);
      add_bias(k[t], w, WeightKind::bk, l);
      add_bias(v[t], w, WeightKind::bv, l);
      rope(q[t], c.n_heads, c, t);
      rope(k[t], c.n_kv_heads, c, t);
    }
    for (int t = 0; t < n; ++t) {
      Vec attended(c.n_heads * d, 0.0);
      for (int h = 0; h < c.n_heads; ++h) {
        const int kv = h / (c.n_heads / c.n_kv_heads);  // the group this query head reads
        Vec p(t + 1);
        double top = -1e300, total = 0.0;
        for (int s = 0; s <= t; ++s) {
          double dot = 0.0;
          for (int i = 0; i < d; ++i) dot += q[t][h * d + i] * k[s][kv * d + i];
          p[s] = dot / std::sqrt(static_cast<double>(d));
          top = std::max(top, p[s]);
        }
        for (double& ps : p) total += (ps = std::exp(ps - top));
        for (int s = 0; s <= t; ++s)
          for (int i = 0; i < d; ++i) attended[h * d + i] += p[s] / total * v[s][kv * d + i];
      }
      const Vec o = matvec(w.at(WeightKind::wo, l), attended, c.dim);
      for (int i = 0; i < c.dim; ++i) x[t][i] += o[i];
    }
    for (int t = 0; t < n; ++t) {
      const Vec xn = rmsnorm(x[t], w.at(WeightKind::ffn_norm, l), c.norm_eps);
      const Vec gate = matvec(w.at(WeightKind::w_gate, l), xn, c.ffn_dim);
      const Vec up = matvec(w.at(WeightKind::w_up, l), xn, c.ffn_dim);
      Vec act(c.ffn_dim);
      for (int i = 0; i < c.ffn_dim; ++i) act[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];
      const Vec down = matvec(w.at(WeightKind::w_down, l), act, c.dim);
      for (int i = 0; i < c.dim; ++i) x[t][i] += down[i];
    }
  }
  std::vector<Vec> logits(n);
  for (int t = 0; t < n; ++t)
    logits[t] = matvec(c.tied_embeddings ? w.at(WeightKind::token_embedding) : w.at(WeightKind::lm_head),
                       rmsnorm(x[t], w.at(WeightKind::final_norm), c.norm_eps), c.vocab_size);
  return logits;
}

std::vector<double> naive_next_logits(const DenseWeights& w, const std::vector<int>& tokens) {
  return naive_logits(w, tokens).back();
}

}  // namespace gs::testing
