#include "parallel/nccl_tensor_channel.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <numeric>
#include <vector>

#include "common/check.h"

namespace gs {
namespace {

// NCCL failures name the rank and host, and NCCL's own reason.
#define GS_NCCL_CHECK(call)                                                                       \
  do {                                                                                            \
    const ncclResult_t gs_nccl_status_ = (call);                                                  \
    GS_CHECK(gs_nccl_status_ == ncclSuccess, "NCCL: " #call " failed on rank " << rank_ << " (" << host_ \
                                                 << "): " << ncclGetErrorString(gs_nccl_status_)); \
  } while (0)

ncclDataType_t nccl_type(DType type) {
  switch (type) {
    case DType::f32:
      return ncclFloat32;
    case DType::f16:
      return ncclFloat16;
    case DType::bf16:
      return ncclBfloat16;
  }
  GS_FAIL("the NCCL channel: invalid DType " << static_cast<int>(type));
}

void check_device(const TensorSpan& t, const char* what) {
  GS_CHECK(t.space == kernels::MemorySpace::device,
           "the NCCL channel's " << what << " got a tensor in host memory; use collectives: mpi for CPU backends");
}

class NcclTensorChannel final : public TensorChannel {
 public:
  explicit NcclTensorChannel(ControlChannel& control)
      : rank_(control.rank()), size_(control.size()), host_(control.host()), displacements_(size_) {
    ncclUniqueId id{};
    if (rank_ == 0) GS_NCCL_CHECK(ncclGetUniqueId(&id));
    control.broadcast(std::as_writable_bytes(std::span(&id, 1)), 0);
    GS_NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
  }
  ~NcclTensorChannel() override { ncclCommDestroy(comm_); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return "nccl"; }
  bool stream_ordered() const override { return true; }

  void all_reduce_sum(TensorSpan data, kernels::Stream stream) override {
    check_device(data, "all_reduce_sum");
    GS_NCCL_CHECK(ncclAllReduce(data.data, data.data, data.count, nccl_type(data.type), ncclSum, comm_,
                                static_cast<cudaStream_t>(stream)));
  }

  // Uneven slices: grouped point-to-point transfers (ncclAllGather wants equal counts).
  void all_gather(TensorSpan local, TensorSpan out, std::span<const int> counts, kernels::Stream stream) override {
    check_device(local, "all_gather");
    check_device(out, "all_gather");
    const std::size_t element = dtype_size(local.type);
    offsets(counts);
    GS_NCCL_CHECK(ncclGroupStart());
    for (int r = 0; r < size_; ++r) {
      std::byte* slot = static_cast<std::byte*>(out.data) + displacements_[r] * element;
      GS_NCCL_CHECK(ncclSend(local.data, local.count, nccl_type(local.type), r, comm_, static_cast<cudaStream_t>(stream)));
      GS_NCCL_CHECK(ncclRecv(slot, counts[r], nccl_type(local.type), r, comm_, static_cast<cudaStream_t>(stream)));
    }
    GS_NCCL_CHECK(ncclGroupEnd());
  }

  void gather(TensorSpan local, TensorSpan out, std::span<const int> counts, int root, kernels::Stream stream) override {
    check_device(local, "gather");
    const std::size_t element = dtype_size(local.type);
    const auto s = static_cast<cudaStream_t>(stream);
    GS_NCCL_CHECK(ncclGroupStart());
    if (rank_ == root) {
      check_device(out, "gather");
      offsets(counts);
      for (int r = 0; r < size_; ++r) {
        std::byte* slot = static_cast<std::byte*>(out.data) + displacements_[r] * element;
        if (r == root) {
          GS_CHECK(cudaMemcpyAsync(slot, local.data, local.bytes(), cudaMemcpyDeviceToDevice, s) == cudaSuccess,
                   "NCCL gather: copying the root's own slice failed");
        } else {
          GS_NCCL_CHECK(ncclRecv(slot, counts[r], nccl_type(local.type), r, comm_, s));
        }
      }
    } else {
      GS_NCCL_CHECK(ncclSend(local.data, local.count, nccl_type(local.type), root, comm_, s));
    }
    GS_NCCL_CHECK(ncclGroupEnd());
  }

 private:
  void offsets(std::span<const int> counts) {
    GS_CHECK(static_cast<int>(counts.size()) == size_, "NCCL: counts for " << counts.size() << " ranks, not " << size_);
    std::exclusive_scan(counts.begin(), counts.end(), displacements_.begin(), std::size_t{0});
  }

  int rank_, size_;
  std::string host_;
  ncclComm_t comm_ = nullptr;
  std::vector<std::size_t> displacements_;  // (size), elements
};

}  // namespace

std::unique_ptr<TensorChannel> open_nccl_channel(ControlChannel& control) {
  return std::make_unique<NcclTensorChannel>(control);
}

}  // namespace gs
