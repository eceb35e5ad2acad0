#include "kernels/backend.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/check.h"
#include "kernels/cpu/fast.h"
#include "kernels/cpu/host_memory.h"
#include "kernels/cpu/kv_layout.h"
#include "kernels/cpu/reference.h"
#ifdef GROUPSHARD_WITH_CUDA
#include "kernels/cuda/cuda_backend.h"
#endif

namespace gs::kernels {
namespace {

// What the two CPU backends share: host memory, plain copies, the tiled KV layout.
class HostBackend : public Backend {
 public:
  MemorySpace memory_space() const override { return MemorySpace::host; }
  Buffer allocate(std::size_t bytes) override { return cpu::allocate_pages(bytes); }
  void upload(void* dst, const void* src, std::size_t bytes) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, std::size_t bytes) override { std::memcpy(dst, src, bytes); }

  void embed(const WeightMatrix& table, const int* tokens, int n, float* x) override {
    for (int t = 0; t < n; ++t) {
      float* row = x + static_cast<std::size_t>(t) * table.cols;
      for (int c = 0; c < table.cols; ++c) row[c] = table.at(tokens[t], c);
    }
  }
  void gather_rows(const float* x, int cols, const int* rows, int n, float* out) override {
    for (int i = 0; i < n; ++i)
      std::copy_n(x + static_cast<std::size_t>(rows[i]) * cols, cols, out + static_cast<std::size_t>(i) * cols);
  }
  void copy_columns(const float* block, int rows, int block_cols, float* out, int out_cols,
                    int col_begin) override {
    for (int r = 0; r < rows; ++r)
      std::copy_n(block + static_cast<std::size_t>(r) * block_cols, block_cols,
                  out + static_cast<std::size_t>(r) * out_cols + col_begin);
  }

  std::unique_ptr<KvCache> make_kv_cache(const KvCacheShape& shape) override {
    return std::make_unique<CpuKvCache>(shape);
  }
  void store_kv(KvCache& cache, int layer, const KvRows& rows) override {
    own(cache).store(layer, rows);
  }
  void activate(Activation act, const float* gate, const float* up, float* out, std::size_t n) override {
    ref::activate(act, gate, up, out, n);
  }
  void argmax_rows(const float* x, int rows, int cols, int* out) override { ref::argmax_rows(x, rows, cols, out); }

 protected:
  static const CpuKvCache& own(const KvCache& cache) {
    const auto* mine = dynamic_cast<const CpuKvCache*>(&cache);
    GS_CHECK(mine != nullptr, "a KV cache made by another backend was passed to a CPU backend");
    return *mine;
  }
  static CpuKvCache& own(KvCache& cache) {
    return const_cast<CpuKvCache&>(own(static_cast<const KvCache&>(cache)));
  }
};

class ReferenceBackend final : public HostBackend {
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
  void attention(const AttentionBatch& batch, const KvCache& cache, int layer) override {
    ref::gqa_attention(batch, own(cache).view(layer));
  }
};

class CpuBackend final : public HostBackend {
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
  void attention(const AttentionBatch& batch, const KvCache& cache, int layer) override {
    // Scratch is per thread: grow it once if set_threads raised the count after
    // construction, rather than failing a run that was configured in that order.
    const std::size_t needed =
        cpu::gqa_attention_scratch_floats(limits_.max_q_per_kv, limits_.cache_capacity);
    if (attention_scratch_.size() < needed) attention_scratch_.resize(needed);
    cpu::gqa_attention(batch, own(cache).view(layer), attention_scratch_);
  }

 private:
  BackendLimits limits_;
  std::vector<float> attention_scratch_;  // (threads, max_q_per_kv, cache_capacity + 1)
  std::vector<float> matmul_scratch_;  // a bf16 weight tile widened to f32
};

}  // namespace

void Backend::activate(Activation, const float*, const float*, float*, std::size_t) {
  GS_FAIL("the " << name() << " backend has no feed-forward activation op (needed by T5)");
}

std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendLimits& limits, const BackendOptions& options) {
  GS_CHECK(limits.max_q_per_kv >= 1 && limits.cache_capacity >= 1,
           "backend limits must be positive (max_q_per_kv "
               << limits.max_q_per_kv << ", cache_capacity " << limits.cache_capacity << ")");
  GS_CHECK(kind == BackendKind::cuda || !options.kv_type || *options.kv_type == DType::f32,
           "runtime.kv_dtype " << dtype_name(*options.kv_type)
                               << ": the CPU backends keep their KV cache in f32 only; use --kv-dtype f32 (or auto), "
                                  "or --backend cuda");
  switch (kind) {
    case BackendKind::reference:
      return std::make_unique<ReferenceBackend>();
    case BackendKind::cpu:
      return std::make_unique<CpuBackend>(limits);
    case BackendKind::cuda:
#ifdef GROUPSHARD_WITH_CUDA
      return cuda::make_backend(options, limits);
#else
      GS_FAIL("--backend cuda: this groupshard was built without CUDA (GROUPSHARD_CUDA=OFF, or no nvcc, "
              "cuBLAS and NCCL at build time); rebuild with -DGROUPSHARD_CUDA=ON or use --backend cpu");
#endif
  }
  GS_FAIL("unknown backend kind " << static_cast<int>(kind));
}

}  // namespace gs::kernels
