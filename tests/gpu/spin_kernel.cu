#include "tests/gpu/spin_kernel.h"

#include <cuda_runtime.h>

#include "kernels/cuda/cuda_check.h"

namespace gs::test {
namespace {

__global__ void spin_kernel(long long cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {
  }
}

}  // namespace

void spin_on_stream(kernels::Stream stream, double seconds) {
  int device = 0, khz = 0;
  GS_CUDA_CHECK(cudaGetDevice(&device));
  GS_CUDA_CHECK(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device));
  spin_kernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(static_cast<long long>(seconds * khz * 1e3));
  GS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace gs::test
