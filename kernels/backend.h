// Backend: the ops a model layer needs, behind one small interface, so the model
// code is the same on the reference CPU kernels, the fast CPU kernels and (later)
// CUDA. A backend is created for one rank's shapes and owns its scratch memory.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "kernels/attention_batch.h"
#include "kernels/weight_matrix.h"

namespace gs::kernels {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  // y (n, w.rows) = x (n, w.cols) · wᵀ + bias (may be null); w f32 or bf16.
  virtual void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y,
                      int n) = 0;
  virtual void rmsnorm(const float* x, const float* weight, float* y, int n, int dim,
                       float eps) = 0;
  virtual void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions,
                    const float* cos_table, const float* sin_table) = 0;
  virtual void swiglu(const float* gate, const float* up, float* out, std::size_t n) = 0;
  virtual void add(float* y, const float* x, std::size_t n) = 0;
  virtual void attention(const AttentionBatch& batch, const KvCacheView& kv) = 0;
};

// Sizes a backend must be ready for, known once the ShardPlan and cache are fixed.
struct BackendLimits {
  int max_q_per_kv = 1;   // most query heads sharing one local KV head
  int cache_capacity = 1; // positions per sequence
};

enum class BackendKind { reference, cpu };

std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendLimits& limits);

}  // namespace gs::kernels
