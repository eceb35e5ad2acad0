#include "kernels/backend.h"

#include <vector>

#include "kernels/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/reference.h"

namespace gs::kernels {
namespace {

class ReferenceBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }

  void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y,
              int n) override {
    ref::matmul(x, w, bias, y, n);
  }
  void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps) override {
    ref::rmsnorm(x, weight, y, n, dim, eps);
  }
  void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions,
            const float* cos_table, const float* sin_table) override {
    ref::rope(x, n_tokens, n_heads, head_dim, positions, cos_table, sin_table);
  }
  void swiglu(const float* gate, const float* up, float* out, std::size_t n) override {
    ref::swiglu(gate, up, out, n);
  }
  void add(float* y, const float* x, std::size_t n) override { ref::add(y, x, n); }
  void attention(const AttentionBatch& batch, const KvCacheView& kv) override {
    ref::gqa_attention(batch, kv);
  }
};

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const BackendLimits& limits)
      : limits_(limits),
        attention_scratch_(
            cpu::gqa_attention_scratch_floats(limits.max_q_per_kv, limits.cache_capacity)) {}

  std::string name() const override { return "cpu"; }

  void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y,
              int n) override {
    // Sized by the first prefill of each larger bf16 shape, never per decode step.
    const std::size_t needed = cpu::matmul_scratch_floats(w, n);
    if (matmul_scratch_.size() < needed) matmul_scratch_.resize(needed);
    cpu::matmul(x, w, bias, y, n, matmul_scratch_);
  }
  void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps) override {
    cpu::rmsnorm(x, weight, y, n, dim, eps);
  }
  void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions,
            const float* cos_table, const float* sin_table) override {
    cpu::rope(x, n_tokens, n_heads, head_dim, positions, cos_table, sin_table);
  }
  void swiglu(const float* gate, const float* up, float* out, std::size_t n) override {
    cpu::swiglu(gate, up, out, n);
  }
  void add(float* y, const float* x, std::size_t n) override { cpu::add(y, x, n); }
  void attention(const AttentionBatch& batch, const KvCacheView& kv) override {
    // Scratch is per thread: grow it once if set_threads raised the count after
    // construction, rather than failing a run that was configured in that order.
    const std::size_t needed =
        cpu::gqa_attention_scratch_floats(limits_.max_q_per_kv, limits_.cache_capacity);
    if (attention_scratch_.size() < needed) attention_scratch_.resize(needed);
    cpu::gqa_attention(batch, kv, attention_scratch_);
  }

 private:
  BackendLimits limits_;
  std::vector<float> attention_scratch_;  // (threads, max_q_per_kv, cache_capacity + 1)
  std::vector<float> matmul_scratch_;  // a bf16 weight tile widened to f32
};

}  // namespace

std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendLimits& limits) {
  GS_CHECK(limits.max_q_per_kv >= 1 && limits.cache_capacity >= 1,
           "backend limits must be positive (max_q_per_kv "
               << limits.max_q_per_kv << ", cache_capacity " << limits.cache_capacity << ")");
  switch (kind) {
    case BackendKind::reference:
      return std::make_unique<ReferenceBackend>();
    case BackendKind::cpu:
      return std::make_unique<CpuBackend>(limits);
  }
  GS_FAIL("unknown backend kind " << static_cast<int>(kind));
}

}  // namespace gs::kernels
