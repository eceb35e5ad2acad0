// A CPU backend that says its memory is device memory. Its download and upload are
// still copies, so the model's device path (logits downloaded for rank 0, tensors
// staged through host memory for MPI) runs and can be checked without a GPU.
#pragma once

#include <memory>

#include "kernels/backend.h"

namespace gs::testing {

class PretendDeviceBackend final : public kernels::Backend {
 public:
  explicit PretendDeviceBackend(std::unique_ptr<kernels::Backend> inner) : inner_(std::move(inner)) {}

  std::string name() const override { return "pretend-device(" + inner_->name() + ")"; }
  kernels::MemorySpace memory_space() const override { return kernels::MemorySpace::device; }
  kernels::Buffer allocate(std::size_t bytes) override { return inner_->allocate(bytes); }
  void upload(void* dst, const void* src, std::size_t bytes) override {
    ++uploads;
    inner_->upload(dst, src, bytes);
  }
  void download(void* dst, const void* src, std::size_t bytes) override {
    ++downloads;
    inner_->download(dst, src, bytes);
  }
  void embed(const kernels::WeightMatrix& table, const int* tokens, int n, float* x) override {
    inner_->embed(table, tokens, n, x);
  }
  void gather_rows(const float* x, int cols, const int* rows, int n, float* out) override {
    inner_->gather_rows(x, cols, rows, n, out);
  }
  void copy_columns(const float* block, int rows, int block_cols, float* out, int out_cols, int col_begin) override {
    inner_->copy_columns(block, rows, block_cols, out, out_cols, col_begin);
  }
  void matmul(const float* x, const kernels::WeightMatrix& w, const float* bias, float* y, int n) override {
    inner_->matmul(x, w, bias, y, n);
  }
  void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps) override {
    inner_->rmsnorm(x, weight, y, n, dim, eps);
  }
  void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions, const float* cos_table,
            const float* sin_table) override {
    inner_->rope(x, n_tokens, n_heads, head_dim, positions, cos_table, sin_table);
  }
  void swiglu(const float* gate, const float* up, float* out, std::size_t n) override {
    inner_->swiglu(gate, up, out, n);
  }
  void add(float* y, const float* x, std::size_t n) override { inner_->add(y, x, n); }
  void activate(kernels::Activation act, const float* gate, const float* up, float* out, std::size_t n) override {
    inner_->activate(act, gate, up, out, n);
  }
  void argmax_rows(const float* x, int rows, int cols, int* out) override { inner_->argmax_rows(x, rows, cols, out); }
  std::unique_ptr<kernels::KvCache> make_kv_cache(const kernels::KvCacheShape& shape) override {
    return inner_->make_kv_cache(shape);
  }
  void store_kv(kernels::KvCache& cache, int layer, const kernels::KvRows& rows) override {
    inner_->store_kv(cache, layer, rows);
  }
  void attention(const kernels::AttentionBatch& batch, const kernels::KvCache& cache, int layer) override {
    inner_->attention(batch, cache, layer);
  }

  int uploads = 0, downloads = 0;

 private:
  std::unique_ptr<kernels::Backend> inner_;
};

}  // namespace gs::testing
