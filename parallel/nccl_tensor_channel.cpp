#include "parallel/nccl_tensor_channel.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <cstdio>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "common/check.h"
#include "parallel/mpi_channels.h"

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

// Watches the backend's waits for the device on behalf of the channel (see the
// header). Shared with the backend's watch, so it outlives whichever goes first.
struct NcclWatchdog {
  ncclComm_t comm = nullptr;  // null once the channel is closed
  int rank = 0;
  std::string host;
  double timeout_s = 0;

  void check(double waited_s) const {
    if (comm == nullptr) return;
    ncclResult_t async = ncclSuccess;
    if (ncclCommGetAsyncError(comm, &async) == ncclSuccess && async != ncclSuccess && async != ncclInProgress)
      end_job(std::string("NCCL reported an error in a collective: ") + ncclGetErrorString(async));
    if (waited_s >= timeout_s) {
      std::ostringstream why;
      why << "a collective did not finish within runtime.collective_timeout_s = " << timeout_s
          << " s (another rank stopped, hung or died, or the interconnect failed)";
      end_job(why.str());
    }
  }

  [[noreturn]] void end_job(const std::string& why) const {
    std::fprintf(stderr, "groupshard: error (rank %d on %s): %s; aborting the NCCL communicator and ending the job\n",
                 rank, host.c_str(), why.c_str());
    std::fflush(stderr);
    ncclCommAbort(comm);
    MpiSession::abort_job(1);
  }
};

class NcclTensorChannel final : public TensorChannel {
 public:
  NcclTensorChannel(ControlChannel& control, kernels::Backend& backend, double timeout_s)
      : rank_(control.rank()), size_(control.size()), host_(control.host()), displacements_(size_) {
    GS_CHECK(timeout_s > 0, "runtime.collective_timeout_s must be positive, got " << timeout_s);
    ncclUniqueId id{};
    if (rank_ == 0) GS_NCCL_CHECK(ncclGetUniqueId(&id));
    control.broadcast(std::as_writable_bytes(std::span(&id, 1)), 0);
    GS_NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
    watchdog_ = std::make_shared<NcclWatchdog>(NcclWatchdog{comm_, rank_, host_, timeout_s});
    backend.watch_waits([watchdog = watchdog_](double waited_s) { watchdog->check(waited_s); });
  }
  ~NcclTensorChannel() override {
    watchdog_->comm = nullptr;
    ncclCommDestroy(comm_);
  }

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
  std::shared_ptr<NcclWatchdog> watchdog_;
};

}  // namespace

std::unique_ptr<TensorChannel> open_nccl_channel(ControlChannel& control, kernels::Backend& backend,
                                                 double timeout_s) {
  return std::make_unique<NcclTensorChannel>(control, backend, timeout_s);
}

}  // namespace gs
