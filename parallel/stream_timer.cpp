#include "parallel/stream_timer.h"

#include <cuda_runtime.h>

#include "common/check.h"

namespace gs {

namespace {

cudaEvent_t event(void* e) { return static_cast<cudaEvent_t>(e); }
cudaStream_t cuda_stream(kernels::Stream s) { return static_cast<cudaStream_t>(s); }

void check_cuda(cudaError_t status, const char* what) {
  GS_CHECK(status == cudaSuccess, "CUDA: " << what << " failed while timing a collective: "
                                           << cudaGetErrorString(status));
}

}  // namespace

StreamTimer::~StreamTimer() {
  for (const Pending& p : pending_) {
    cudaEventDestroy(event(p.start));
    cudaEventDestroy(event(p.stop));
  }
  if (open_start_ != nullptr) cudaEventDestroy(event(open_start_));
  for (void* e : free_) cudaEventDestroy(event(e));
}

bool StreamTimer::capturing(kernels::Stream stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  check_cuda(cudaStreamIsCapturing(cuda_stream(stream), &status), "cudaStreamIsCapturing");
  return status != cudaStreamCaptureStatusNone;
}

void* StreamTimer::take_event() {
  if (!free_.empty()) {
    void* e = free_.back();
    free_.pop_back();
    return e;
  }
  cudaEvent_t e = nullptr;
  check_cuda(cudaEventCreate(&e), "cudaEventCreate");
  return e;
}

void StreamTimer::begin(kernels::Stream stream) {
  GS_CHECK(open_start_ == nullptr, "StreamTimer: begin() twice without end()");
  harvest(false);  // keeps the pending list as short as the work in flight
  open_start_ = take_event();
  check_cuda(cudaEventRecord(event(open_start_), cuda_stream(stream)), "cudaEventRecord");
}

void StreamTimer::end(kernels::Stream stream, double* seconds) {
  GS_CHECK(open_start_ != nullptr, "StreamTimer: end() without begin()");
  void* stop = take_event();
  check_cuda(cudaEventRecord(event(stop), cuda_stream(stream)), "cudaEventRecord");
  pending_.push_back({open_start_, stop, seconds});
  open_start_ = nullptr;
}

void StreamTimer::settle() { harvest(true); }

void StreamTimer::harvest(bool wait) {
  std::size_t done = 0;
  for (; done < pending_.size(); ++done) {
    const Pending& p = pending_[done];
    if (wait) {
      check_cuda(cudaEventSynchronize(event(p.stop)), "cudaEventSynchronize");
    } else {
      const cudaError_t status = cudaEventQuery(event(p.stop));
      if (status == cudaErrorNotReady) break;
      check_cuda(status, "cudaEventQuery");
    }
    float ms = 0.0f;
    check_cuda(cudaEventElapsedTime(&ms, event(p.start), event(p.stop)), "cudaEventElapsedTime");
    *p.seconds += 1e-3 * ms;
    free_.push_back(p.start);
    free_.push_back(p.stop);
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
}

}  // namespace gs
