// The NCCL tensor channel: collectives on device memory, enqueued on the
// backend's stream, for ranks that each have their own GPU.
#pragma once

#include <memory>

#include "parallel/control_channel.h"
#include "parallel/tensor_channel.h"

namespace gs {

// Collective over the ranks of `control`: rank 0 makes NCCL's unique id and
// broadcasts it over the control channel; every rank joins on its current CUDA
// device (the one its backend selected).
std::unique_ptr<TensorChannel> open_nccl_channel(ControlChannel& control);

}  // namespace gs
