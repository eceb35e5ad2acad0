// The CUDA backend: weights, activations and the KV cache in one GPU's memory,
// ops enqueued on one stream (GEMMs through cuBLAS with f32 accumulation).
#pragma once

#include <memory>

#include "kernels/backend.h"

namespace gs::kernels::cuda {

// Devices this process can see; 0 when there is no driver or no GPU.
int visible_devices();

// device, or for -1 the rank's index on its host modulo the visible devices;
// throws when there is no GPU.
int resolve_device(int device);

std::unique_ptr<Backend> make_backend(const BackendOptions& options, const BackendLimits& limits);

// The device's copy bandwidth, bytes read plus bytes written per second, in GB/s:
// the best of `runs` device-to-device copies of `bytes` (the yardstick of bench).
double copy_bandwidth_gb_per_s(int device, std::size_t bytes, int runs);

}  // namespace gs::kernels::cuda
