// Checks for CUDA runtime and cuBLAS calls: a failure throws gs::Error naming the
// call and the library's own description, like every other check in groupshard
// (the launcher adds rank and host).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "common/check.h"

#define GS_CUDA_CHECK(call)                                                             \
  do {                                                                                  \
    const cudaError_t gs_cuda_status_ = (call);                                         \
    GS_CHECK(gs_cuda_status_ == cudaSuccess,                                            \
             "CUDA: " #call " failed: " << cudaGetErrorString(gs_cuda_status_));        \
  } while (0)

#define GS_CUBLAS_CHECK(call)                                                           \
  do {                                                                                  \
    const cublasStatus_t gs_cublas_status_ = (call);                                    \
    GS_CHECK(gs_cublas_status_ == CUBLAS_STATUS_SUCCESS,                                \
             "cuBLAS: " #call " failed: " << cublasGetStatusString(gs_cublas_status_)); \
  } while (0)
