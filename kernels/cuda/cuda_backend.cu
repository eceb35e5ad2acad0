#include "kernels/cuda/cuda_backend.h"

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/ops.h"

namespace gs::kernels::cuda {
namespace {

void free_device(void* data, std::size_t) { cudaFree(data); }

// Keys and values of every layer in device memory, f32 or bf16, as ops.h's DeviceKv.
class CudaKvCache final : public KvCache {
 public:
  CudaKvCache(const KvCacheShape& shape, DType type, Buffer k, Buffer v)
      : KvCache(shape), type_(type), k_(std::move(k)), v_(std::move(v)) {}

  // Elements of one layer's keys (or values).
  static std::size_t layer_elements(const KvCacheShape& s) {
    return static_cast<std::size_t>(s.positions()) * s.n_kv_heads * s.head_dim;
  }
  std::int64_t bytes() const override { return static_cast<std::int64_t>(k_.bytes() + v_.bytes()); }
  DeviceKv layer(int l) const {
    const KvCacheShape& s = shape();
    const std::size_t offset = l * layer_elements(s) * dtype_size(type_);  // bytes
    return {static_cast<std::byte*>(k_.data()) + offset, static_cast<std::byte*>(v_.data()) + offset,
            type_ == DType::bf16, s.n_kv_heads, s.block_size, s.head_dim};
  }

 private:
  DType type_;
  Buffer k_, v_;  // (layers, n_blocks, n_kv_heads, block_size, head_dim) of type_
};

class CudaBackend final : public Backend {
 public:
  CudaBackend(int device, const BackendLimits& limits, const BackendOptions& options)
      : device_(device), limits_(limits), options_(options) {
    GS_CUDA_CHECK(cudaSetDevice(device));
    GS_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    GS_CUDA_CHECK(cudaEventCreateWithFlags(&drained_, cudaEventDisableTiming));
    GS_CUBLAS_CHECK(cublasCreate(&cublas_));
    GS_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    // A workspace of its own: cuBLAS may not allocate while a graph is recorded.
    cublas_workspace_ = allocate(kCublasWorkspaceBytes);
    GS_CUBLAS_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_.data(), kCublasWorkspaceBytes));
    void* pinned = nullptr;
    GS_CUDA_CHECK(cudaMallocHost(&pinned, kStagingBytes));
    staging_ = static_cast<std::byte*>(pinned);
  }
  ~CudaBackend() override {
    cudaStreamSynchronize(stream_);
    for (auto& [shape, step] : steps_)
      if (step.graph != nullptr) cudaGraphExecDestroy(step.graph);
    cudaFreeHost(staging_);
    cudaEventDestroy(drained_);
    cublasDestroy(cublas_);
    cudaStreamDestroy(stream_);
  }

  std::string name() const override { return "cuda"; }
  MemorySpace memory_space() const override { return MemorySpace::device; }
  Stream stream() const override { return stream_; }

  Buffer allocate(std::size_t bytes) override {
    if (bytes == 0) return {};
    void* p = nullptr;
    const cudaError_t status = cudaMalloc(&p, bytes);
    GS_CHECK(status == cudaSuccess, "out of GPU memory on device " << device_ << " allocating " << bytes
                                                                    << " bytes: " << cudaGetErrorString(status));
    GS_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream_));
    return Buffer(p, bytes, MemorySpace::device, free_device);
  }
  // Through a pinned buffer, so pageable sources (a mapped checkpoint) copy at DMA speed.
  void upload(void* dst, const void* src, std::size_t bytes) override {
    for (std::size_t done = 0; done < bytes; done += kStagingBytes) {
      const std::size_t part = std::min(kStagingBytes, bytes - done);
      wait_for_stream();  // the previous part (or step) left the staging buffer
      std::memcpy(staging_, static_cast<const std::byte*>(src) + done, part);
      GS_CUDA_CHECK(cudaMemcpyAsync(static_cast<std::byte*>(dst) + done, staging_, part, cudaMemcpyHostToDevice,
                                    stream_));
    }
  }
  void download(void* dst, const void* src, std::size_t bytes) override {
    GS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
    wait_for_stream();
  }

  void embed(const WeightMatrix& table, const int* tokens, int n, float* x) override {
    cuda::embed(table.data, table.type == DType::bf16, table.cols, tokens, n, x, stream_);
  }
  void gather_rows(const float* x, int cols, const int* rows, int n, float* out) override {
    cuda::gather_rows(x, cols, rows, n, out, stream_);
  }
  void copy_columns(const float* block, int rows, int block_cols, float* out, int out_cols,
                    int col_begin) override {
    if (rows == 0 || block_cols == 0) return;
    GS_CUDA_CHECK(cudaMemcpy2DAsync(out + col_begin, out_cols * sizeof(float), block, block_cols * sizeof(float),
                                    block_cols * sizeof(float), rows, cudaMemcpyDeviceToDevice, stream_));
  }

  // cuBLAS is column-major: y (n, rows) row-major is yᵀ (rows, n) column-major = W · xᵀ,
  // with W (rows, cols) row-major read as a transposed column-major (cols, rows).
  void matmul(const float* x, const WeightMatrix& w, const float* bias, float* y, int n) override {
    if (n == 0 || w.rows == 0) return;
    const float one = 1.0f, zero = 0.0f;
    if (w.type == DType::f32) {
      GS_CUBLAS_CHECK(cublasSgemm(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, w.rows, n, w.cols, &one, w.f32(), w.cols, x,
                                  w.cols, &zero, y, w.rows));
    } else {
      // bf16 × bf16 with f32 accumulation and output: x is rounded to bf16 first.
      const std::size_t count = static_cast<std::size_t>(n) * w.cols;
      if (x_bf16_.bytes() < count * 2) x_bf16_ = allocate(count * 2);
      cuda::f32_to_bf16(x, x_bf16_.as<std::uint16_t>(), count, stream_);
      GS_CUBLAS_CHECK(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, w.rows, n, w.cols, &one, w.data, CUDA_R_16BF,
                                   w.cols, x_bf16_.data(), CUDA_R_16BF, w.cols, &zero, y, CUDA_R_32F, w.rows,
                                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    }
    if (bias != nullptr) cuda::add_bias(y, bias, n, w.rows, stream_);
  }
  void rmsnorm(const float* x, const float* weight, float* y, int n, int dim, float eps) override {
    cuda::rmsnorm(x, weight, y, n, dim, eps, stream_);
  }
  void rope(float* x, int n_tokens, int n_heads, int head_dim, const int* positions, const float* cos_table,
            const float* sin_table) override {
    cuda::rope(x, n_tokens, n_heads, head_dim, positions, cos_table, sin_table, stream_);
  }
  void swiglu(const float* gate, const float* up, float* out, std::size_t n) override {
    cuda::swiglu(gate, up, out, n, stream_);
  }
  void add(float* y, const float* x, std::size_t n) override { cuda::add(y, x, n, stream_); }
  void activate(Activation act, const float* gate, const float* up, float* out, std::size_t n) override {
    cuda::activate(static_cast<int>(act), gate, up, out, n, stream_);
  }
  void argmax_rows(const float* x, int rows, int cols, int* out) override {
    cuda::argmax_rows(x, rows, cols, out, stream_);
  }
  void watch_waits(WaitWatch watch) override { watch_ = std::move(watch); }

  std::unique_ptr<KvCache> make_kv_cache(const KvCacheShape& shape) override {
    const DType type = options_.kv_type.value_or(DType::bf16);
    const std::size_t bytes = shape.n_layers * CudaKvCache::layer_elements(shape) * dtype_size(type);
    return std::make_unique<CudaKvCache>(shape, type, allocate(bytes), allocate(bytes));
  }
  void store_kv(KvCache& cache, int layer, const KvRows& rows) override {
    cuda::store_kv(own(cache).layer(layer), rows.n_tokens, rows.k, rows.v, rows.tables, rows.positions, stream_);
  }
  // The first step of a shape runs directly (buffers grow then, outside any
  // recording); the second is recorded as a graph; later ones replay it.
  void run_step(std::uint64_t shape, const std::function<void()>& enqueue) override {
    if (!options_.record_steps || shape == 0) return enqueue();
    RecordedStep& step = steps_[shape];
    if (step.graph != nullptr) {
      GS_CUDA_CHECK(cudaGraphLaunch(step.graph, stream_));
      return;
    }
    if (step.runs++ == 0) return enqueue();
    cudaGraph_t graph = nullptr;
    GS_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    try {
      enqueue();
    } catch (...) {
      cudaStreamEndCapture(stream_, &graph);
      if (graph != nullptr) cudaGraphDestroy(graph);
      throw;
    }
    GS_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
    const cudaError_t made = cudaGraphInstantiate(&step.graph, graph, 0);
    cudaGraphDestroy(graph);
    GS_CUDA_CHECK(made);
    GS_CUDA_CHECK(cudaGraphLaunch(step.graph, stream_));
  }

  void attention(const AttentionBatch& batch, const KvCache& cache, int layer) override {
    const std::size_t needed =
        attention_partial_floats(batch.n_tokens, batch.n_q_heads, batch.head_dim, limits_.cache_capacity);
    if (partial_.bytes() < needed * sizeof(float)) partial_ = allocate(needed * sizeof(float));
    cuda::gqa_attention(batch, own(cache).layer(layer), limits_.max_q_per_kv, limits_.cache_capacity,
                        partial_.as<float>(), stream_);
  }

 private:
  static constexpr std::size_t kStagingBytes = std::size_t(16) << 20;
  static constexpr std::size_t kCublasWorkspaceBytes = std::size_t(32) << 20;
  static constexpr double kWatchEvery = 0.01;  // seconds between calls of the wait watch

  struct RecordedStep {
    int runs = 0;                      // before recording
    cudaGraphExec_t graph = nullptr;   // once recorded
  };

  // cudaStreamSynchronize with a time limit: a collective whose peer hung would
  // otherwise hold this rank forever. The watch (the NCCL channel's watchdog) sees
  // the wait first; failing lets the launcher end the job.
  void wait_for_stream() {
    GS_CUDA_CHECK(cudaEventRecord(drained_, stream_));
    const auto start = std::chrono::steady_clock::now();
    double next_watch = kWatchEvery;
    for (;;) {
      const cudaError_t status = cudaEventQuery(drained_);
      if (status == cudaSuccess) return;
      GS_CHECK(status == cudaErrorNotReady, "CUDA: the step failed: " << cudaGetErrorString(status));
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (watch_ && waited >= next_watch) {
        watch_(waited);
        next_watch = waited + kWatchEvery;
      }
      GS_CHECK(waited < options_.wait_timeout_s,
               "the GPU step did not finish within " << options_.wait_timeout_s
                   << " s (runtime.collective_timeout_s): a collective is stuck, another rank or the interconnect hung");
      if (waited > 1e-3) std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }

  static const CudaKvCache& own(const KvCache& cache) {
    const auto* mine = dynamic_cast<const CudaKvCache*>(&cache);
    GS_CHECK(mine != nullptr, "a KV cache made by another backend was passed to the CUDA backend");
    return *mine;
  }

  int device_;
  BackendLimits limits_;
  BackendOptions options_;
  cudaEvent_t drained_ = nullptr;  // recorded to wait for the stream with a time limit
  WaitWatch watch_;                // watch_waits()'s, or none
  std::unordered_map<std::uint64_t, RecordedStep> steps_;
  Buffer cublas_workspace_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  std::byte* staging_ = nullptr;  // (kStagingBytes) pinned host memory
  Buffer x_bf16_;                 // activations rounded for bf16 GEMMs, grown to the largest step
  Buffer partial_;                // attention's per-chunk partial results, grown likewise
};

}  // namespace

int visible_devices() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return 0;
  return count;
}

int resolve_device(int device) {
  const int devices = visible_devices();
  GS_CHECK(devices > 0, "--backend cuda: no CUDA device is visible to this process (no NVIDIA GPU or driver; "
                        "check nvidia-smi and CUDA_VISIBLE_DEVICES), use --backend cpu");
  if (device < 0) {
    // Open MPI's index of this rank among the ranks of its host.
    const char* local_rank = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
    device = (local_rank != nullptr ? std::atoi(local_rank) : 0) % devices;
  }
  GS_CHECK(device >= 0 && device < devices,
           "runtime.device " << device << " is not one of the " << devices << " visible CUDA devices");
  return device;
}

std::unique_ptr<Backend> make_backend(const BackendOptions& options, const BackendLimits& limits) {
  return std::make_unique<CudaBackend>(resolve_device(options.device), limits, options);
}

double copy_bandwidth_gb_per_s(int device, std::size_t bytes, int runs) {
  GS_CUDA_CHECK(cudaSetDevice(resolve_device(device)));
  void *from = nullptr, *to = nullptr;
  GS_CUDA_CHECK(cudaMalloc(&from, bytes));
  GS_CUDA_CHECK(cudaMalloc(&to, bytes));
  GS_CUDA_CHECK(cudaMemset(from, 1, bytes));
  cudaEvent_t start, stop;
  GS_CUDA_CHECK(cudaEventCreate(&start));
  GS_CUDA_CHECK(cudaEventCreate(&stop));
  float best_ms = 0.0f;
  for (int run = 0; run <= runs; ++run) {  // run 0 warms up
    GS_CUDA_CHECK(cudaEventRecord(start));
    GS_CUDA_CHECK(cudaMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToDevice));
    GS_CUDA_CHECK(cudaEventRecord(stop));
    GS_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    GS_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    if (run > 0 && (best_ms == 0.0f || ms < best_ms)) best_ms = ms;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaFree(from);
  cudaFree(to);
  return 2.0 * static_cast<double>(bytes) / (best_ms * 1e-3) / 1e9;
}

}  // namespace gs::kernels::cuda
