// Backend: the memory and the ops a model layer needs, behind one small interface,
// so the model code is the same on the reference CPU kernels, the fast CPU kernels
// and CUDA. A backend owns its memory: it allocates the buffers the model holds
// (weights, activations, KV cache), and every op takes pointers into them; only
// upload and download cross between host memory and the backend's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/dtype.h"
#include "kernels/attention_batch.h"
#include "kernels/buffer.h"
#include "kernels/kv_cache.h"
#include "kernels/weight_matrix.h"

namespace gs::kernels {

// Feed-forward activations (Hugging Face names: relu, gelu, gelu_new, silu).
enum class Activation { relu, gelu, gelu_tanh, silu };

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  // Memory.
  virtual MemorySpace memory_space() const = 0;
  virtual Stream stream() const { return nullptr; }
  virtual Buffer allocate(std::size_t bytes) = 0;  // zeroed
  // dst (backend memory) <- src (host memory, e.g. a mapped checkpoint).
  virtual void upload(void* dst, const void* src, std::size_t bytes) = 0;
  // dst (host memory) <- src (backend memory); waits for the ops that write src.
  virtual void download(void* dst, const void* src, std::size_t bytes) = 0;
  // A new buffer holding a copy of `count` host values.
  template <typename T>
  Buffer upload_copy(const T* values, std::size_t count) {
    Buffer b = allocate(count * sizeof(T));
    if (count > 0) upload(b.data(), values, count * sizeof(T));
    return b;
  }

  // Data movement that used to be host loops in the model.
  // x (n, table.cols) = rows tokens[0..n) of table, widened to f32.
  virtual void embed(const WeightMatrix& table, const int* tokens, int n, float* x) = 0;
  // out (n, cols) = rows rows[0..n) of x (·, cols).
  virtual void gather_rows(const float* x, int cols, const int* rows, int n, float* out) = 0;
  // Columns [col_begin, col_begin + block_cols) of out (rows, out_cols) = block (rows, block_cols).
  virtual void copy_columns(const float* block, int rows, int block_cols, float* out, int out_cols,
                            int col_begin) = 0;

  // Math.
  // y (n, w.rows) = x (n, w.cols) · wᵀ + bias (may be null); w f32 or bf16.
  virtual void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y,
                      int n) = 0;
  virtual void rmsnorm(const float* x, const float* weight, float* y, int n, int dim,
                       float eps) = 0;
  virtual void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions,
                    const float* cos_table, const float* sin_table) = 0;
  virtual void swiglu(const float* gate, const float* up, float* out, std::size_t n) = 0;
  virtual void add(float* y, const float* x, std::size_t n) = 0;
  // out (n) = act(gate) * up, or act(gate) where up is null (T5's feed-forward);
  // out may alias gate. Backends without it throw.
  virtual void activate(Activation act, const float* gate, const float* up, float* out, std::size_t n);
  // out (rows) = index of the largest value of each row of x (rows, cols), the
  // lowest index on ties (std::max_element's): greedy sampling where the logits
  // are, so a device backend sends rank 0 ids instead of logits. out is in backend memory.
  virtual void argmax_rows(const float* x, int rows, int cols, int* out) = 0;

  // KV cache, in this backend's own layout.
  virtual std::unique_ptr<KvCache> make_kv_cache(const KvCacheShape& shape) = 0;
  virtual void store_kv(KvCache& cache, int layer, const KvRows& rows) = 0;
  virtual void attention(const AttentionBatch& batch, const KvCache& cache, int layer) = 0;

  // Called about every 10 ms while the host waits for the device (a download, an
  // upload's staging buffer) with the seconds waited so far; it may end the job. A
  // tensor channel whose collectives run on the device (NCCL) installs one: a
  // collective that never finishes shows up as a wait that never ends. Backends
  // whose ops finish before they return never wait, and ignore it.
  using WaitWatch = std::function<void(double waited_s)>;
  virtual void watch_waits(WaitWatch watch) {}

  // Steps: enqueue() issues the ops of one forward step. A backend may record the
  // ops of a step whose `shape` it has seen before and replay the recording from
  // then on (CUDA graphs: launch overhead is what separates small-batch decode from
  // the bandwidth limit on GPUs), so enqueue must issue the same ops on the same
  // buffers for the same shape and must not wait for the device. Shape 0: never
  // recorded. CPU backends just run it.
  virtual void run_step(std::uint64_t shape, const std::function<void()>& enqueue) { enqueue(); }
};

// Sizes a backend must be ready for, known once the ShardPlan and cache are fixed.
struct BackendLimits {
  int max_q_per_kv = 1;   // most query heads sharing one local KV head
  int cache_capacity = 1; // positions one sequence's block table covers at most
};

enum class BackendKind { reference, cpu, cuda };

// Settings of the GPU backends; the CPU backends ignore them.
struct BackendOptions {
  int device = -1;           // visible GPU; -1: the rank's index on its host modulo the GPUs
  bool record_steps = false;  // replay repeated step shapes as CUDA graphs (run_step)
  // Longest wait for the device's queue (a download) before the run is declared hung
  // — a collective that never completes — and fails instead of waiting forever.
  double wait_timeout_s = 300.0;
  // The KV cache's element type; unset: the backend's own default (CUDA: bf16, half
  // the bytes decode attention streams; the CPU backends: f32, the only type they keep).
  std::optional<DType> kv_type;
};

std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendLimits& limits,
                                      const BackendOptions& options = {});

}  // namespace gs::kernels
