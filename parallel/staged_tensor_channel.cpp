#include "parallel/staged_tensor_channel.h"

namespace gs {

TensorSpan StagedTensorChannel::stage(const TensorSpan& t, int which, bool fill) {
  if (t.space == kernels::MemorySpace::host) return t;
  std::vector<std::byte>& buffer = staging_[which];
  if (buffer.size() < t.bytes()) buffer.resize(t.bytes());
  if (fill && t.count > 0) backend_.download(buffer.data(), t.data, t.bytes());
  return {buffer.data(), t.count, t.type, kernels::MemorySpace::host};
}

void StagedTensorChannel::unstage(const TensorSpan& device, const TensorSpan& host) {
  if (device.space == kernels::MemorySpace::host || device.count == 0) return;
  backend_.upload(device.data, host.data, device.bytes());
}

void StagedTensorChannel::all_reduce_sum(TensorSpan data, kernels::Stream) {
  const TensorSpan host = stage(data, 0, true);
  host_->all_reduce_sum(host, nullptr);
  unstage(data, host);
}

void StagedTensorChannel::all_gather(TensorSpan local, TensorSpan out, std::span<const int> counts,
                                     kernels::Stream) {
  const TensorSpan host_out = stage(out, 1, false);
  host_->all_gather(stage(local, 0, true), host_out, counts, nullptr);
  unstage(out, host_out);
}

void StagedTensorChannel::gather(TensorSpan local, TensorSpan out, std::span<const int> counts, int root,
                                 kernels::Stream) {
  const bool receives = rank() == root;
  const TensorSpan host_out = receives ? stage(out, 1, false) : out;
  host_->gather(stage(local, 0, true), host_out, counts, root, nullptr);
  if (receives) unstage(out, host_out);
}

}  // namespace gs
