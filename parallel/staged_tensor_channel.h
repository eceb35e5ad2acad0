// StagedTensorChannel: collectives on tensors in a device backend's memory over a
// host-memory channel (MPI), by downloading them, running the host collective and
// uploading the result. Slower than NCCL, but it works where NCCL cannot: several
// ranks sharing one GPU (NCCL refuses two ranks on a device), or no NCCL at all.
#pragma once

#include <memory>
#include <vector>

#include "kernels/backend.h"
#include "parallel/tensor_channel.h"

namespace gs {

class StagedTensorChannel final : public TensorChannel {
 public:
  // backend must outlive this object.
  StagedTensorChannel(std::unique_ptr<TensorChannel> host, kernels::Backend& backend)
      : host_(std::move(host)), backend_(backend) {}

  int rank() const override { return host_->rank(); }
  int size() const override { return host_->size(); }
  std::string name() const override { return host_->name() + " (host-staged)"; }

  void all_reduce_sum(TensorSpan data, kernels::Stream stream) override;
  void all_gather(TensorSpan local, TensorSpan out, std::span<const int> counts,
                  kernels::Stream stream) override;
  void gather(TensorSpan local, TensorSpan out, std::span<const int> counts, int root,
              kernels::Stream stream) override;

 private:
  // A host copy of t (downloaded when `fill`), in staging buffer `which`.
  TensorSpan stage(const TensorSpan& t, int which, bool fill);
  void unstage(const TensorSpan& device, const TensorSpan& host);

  std::unique_ptr<TensorChannel> host_;
  kernels::Backend& backend_;
  std::vector<std::byte> staging_[2];  // grown to the largest tensor, then reused
};

}  // namespace gs
