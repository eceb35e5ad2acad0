// TensorChannel: the collectives that stitch a tensor-parallel layer together,
// on tensors in a backend's memory (host or device), with an element type and the
// stream the backend runs its ops on — the way NCCL takes a cudaStream_t. MPI
// implements it for host memory (parallel/mpi_channels.h); NCCL for GPUs.
// Every rank of the group must make the same calls in the same order.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "kernels/buffer.h"
#include "common/dtype.h"

namespace gs {

// `count` elements of `type` at `data`, in `space`.
struct TensorSpan {
  void* data = nullptr;
  std::size_t count = 0;
  DType type = DType::f32;
  kernels::MemorySpace space = kernels::MemorySpace::host;

  std::size_t bytes() const { return count * dtype_size(type); }
};

inline TensorSpan host_floats(float* data, std::size_t count) {
  return {data, count, DType::f32, kernels::MemorySpace::host};
}

class TensorChannel {
 public:
  virtual ~TensorChannel() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string name() const = 0;
  // Whether calls only enqueue work on the stream (NCCL), so a recorded step (CUDA
  // graph) may contain them; host channels do their work before returning.
  virtual bool stream_ordered() const { return false; }

  // data = elementwise sum of data over all ranks, in place.
  virtual void all_reduce_sum(TensorSpan data, kernels::Stream stream) = 0;
  // out = the ranks' `local` tensors concatenated in rank order; counts[r] is rank
  // r's element count (uneven slices allowed).
  virtual void all_gather(TensorSpan local, TensorSpan out, std::span<const int> counts,
                          kernels::Stream stream) = 0;
  // Like all_gather, but only root receives; out is ignored elsewhere.
  virtual void gather(TensorSpan local, TensorSpan out, std::span<const int> counts, int root,
                      kernels::Stream stream) = 0;
};

}  // namespace gs
