// The CUDA backend: weights, activations and the KV cache in one GPU's memory,
// ops enqueued on one stream (GEMMs through cuBLAS with f32 accumulation).
#pragma once

#include <memory>

#include "kernels/backend.h"

namespace gs::kernels::cuda {

// Devices this process can see; 0 when there is no driver or no GPU.
int visible_devices();

std::unique_ptr<Backend> make_backend(int device, const BackendLimits& limits);

}  // namespace gs::kernels::cuda
