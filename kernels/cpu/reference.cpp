// Plain loops, accumulating in double so the reference is closer to exact than
// any float kernel tested against it.
#include "kernels/cpu/reference.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/check.h"
#include "kernels/cpu/attention_check.h"

namespace gs::kernels::ref {

void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y, int n) {
  const int in = w.cols, out = w.rows;
  for (int t = 0; t < n; ++t) {
    for (int o = 0; o < out; ++o) {
      double sum = bias ? bias[o] : 0.0;
      for (int i = 0; i < in; ++i) sum += double(x[std::size_t(t) * in + i]) * w.at(o, i);
      y[std::size_t(t) * out + o] = float(sum);
    }
  }
}

void argmax_rows(const float* x, int rows, int cols, int* out) {
  for (int r = 0; r < rows; ++r) {
    const float* row = x + std::size_t(r) * cols;
    int best = 0;
    for (int c = 1; c < cols; ++c)
      if (row[c] > row[best]) best = c;
    out[r] = best;
  }
}

void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps) {
  for (int t = 0; t < n; ++t) {
    const float* row = x + std::size_t(t) * dim;
    double squares = 0.0;
    for (int i = 0; i < dim; ++i) squares += double(row[i]) * row[i];
    const double inv_rms = 1.0 / std::sqrt(squares / dim + eps);
    // Each element is read before it is written, so y may alias x.
    for (int i = 0; i < dim; ++i) y[std::size_t(t) * dim + i] = float(row[i] * inv_rms * weight[i]);
  }
}

void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions,
          const float* cos_table, const float* sin_table) {
  GS_CHECK(head_dim % 2 == 0, "rope: head_dim " << head_dim << " must be even");
  const int half = head_dim / 2;
  for (int t = 0; t < n_tokens; ++t) {
    const float* cos_row = cos_table + std::size_t(positions[t]) * half;
    const float* sin_row = sin_table + std::size_t(positions[t]) * half;
    for (int h = 0; h < n_heads; ++h) {
      float* head = x + (std::size_t(t) * n_heads + h) * head_dim;
      for (int i = 0; i < half; ++i) {
        const double a = head[2 * i], b = head[2 * i + 1];
        head[2 * i] = float(a * cos_row[i] - b * sin_row[i]);
        head[2 * i + 1] = float(a * sin_row[i] + b * cos_row[i]);
      }
    }
  }
}

void swiglu(const float* gate, const float* up, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const double g = gate[i];
    out[i] = float(g / (1.0 + std::exp(-g)) * up[i]);
  }
}

void activate(Activation act, const float* gate, const float* up, float* out, std::size_t n) {
  constexpr double kSqrt2OverPi = 0.7978845608028654;
  for (std::size_t i = 0; i < n; ++i) {
    const double g = gate[i];
    double a = 0.0;
    switch (act) {
      case Activation::relu:
        a = g > 0.0 ? g : 0.0;
        break;
      case Activation::gelu:  // exact: x Φ(x)
        a = 0.5 * g * (1.0 + std::erf(g / std::sqrt(2.0)));
        break;
      case Activation::gelu_tanh:  // HF gelu_new
        a = 0.5 * g * (1.0 + std::tanh(kSqrt2OverPi * (g + 0.044715 * g * g * g)));
        break;
      case Activation::silu:
        a = g / (1.0 + std::exp(-g));
        break;
    }
    out[i] = float(up ? a * up[i] : a);
  }
}

void softmax(float* x, int n) {
  GS_CHECK(n >= 1, "softmax of " << n << " elements");
  const float max = *std::max_element(x, x + n);
  double sum = 0.0;
  std::vector<double> e(n);
  for (int i = 0; i < n; ++i) sum += e[i] = std::exp(double(x[i]) - max);
  for (int i = 0; i < n; ++i) x[i] = float(e[i] / sum);
}

void add(float* y, const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] += x[i];
}

void gqa_attention(const AttentionBatch& batch, const KvCacheView& kv) {
  check_attention(batch, kv);
  const int d = batch.head_dim;
  std::vector<double> p, acc(d);
  for (int t = 0; t < batch.n_tokens; ++t) {
    const int len = batch.lengths[t];
    p.resize(len);
    for (int h = 0; h < batch.n_q_heads; ++h) {
      // Position j of the sequence: row j % block_size of its (j / block_size)-th block.
      auto at = [&](int j) { return kv.block_offset(batch.tables.block_of(t, j, kv.block_size), batch.kv_of_q[h]); };
      const float* q = batch.q + (std::size_t(t) * batch.n_q_heads + h) * d;
      double max = -INFINITY;
      for (int j = 0; j < len; ++j) {
        const float* k = kv.k + at(j);  // as KvCacheView::key_index
        double s = 0.0;
        for (int i = 0; i < d; ++i) s += double(q[i]) * k[kv.key_index(j % kv.block_size, i)];
        p[j] = batch.scale * s;
        if (batch.position_bias)
          p[j] += batch.position_bias[std::size_t(h) * batch.position_bias_stride +
                                      batch.position_bias_offset + j - batch.positions[t]];
        max = std::max(max, p[j]);
      }
      double sum = 0.0;
      for (int j = 0; j < len; ++j) sum += p[j] = std::exp(p[j] - max);
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int j = 0; j < len; ++j)
        for (int i = 0; i < d; ++i) acc[i] += p[j] * kv.v[at(j) + std::size_t(j % kv.block_size) * d + i];
      float* o = batch.out + (std::size_t(t) * batch.n_q_heads + h) * d;
      for (int i = 0; i < d; ++i) o[i] = float(acc[i] / sum);
    }
  }
}

}  // namespace gs::kernels::ref
