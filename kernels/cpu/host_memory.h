// Host memory for the CPU backends' buffers.
#pragma once

#include <cstddef>

#include "kernels/buffer.h"

namespace gs::kernels::cpu {

// `bytes` of zeroed host memory, 64-byte aligned. From 64 KiB up (weight matrices,
// activations) it is its own anonymous mapping: page aligned (rows
// whose size is a multiple of 64 bytes start on cache lines, so vector loads never
// straddle two), given back to the OS when freed (resident memory is what the rank
// holds, not what an allocator kept), and eligible for transparent huge pages,
// which spare a decode step a TLB miss per 4 KiB of weights it streams.
Buffer allocate_pages(std::size_t bytes);

}  // namespace gs::kernels::cpu
