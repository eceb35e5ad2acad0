// The NCCL tensor channel: collectives on device memory, enqueued on the
// backend's stream, for ranks that each have their own GPU.
//
// Its watchdog: NCCL's collectives only enqueue, so a collective that never
// finishes (a rank stopped or died, the interconnect hung) shows up as a host wait
// for the device that never ends. The channel watches the backend's waits
// (Backend::watch_waits): when one passes runtime.collective_timeout_s, or NCCL
// reports an asynchronous error, it prints one message naming the rank and host,
// aborts the communicator (ncclCommAbort, which frees the stuck kernels) and ends
// every rank of the job (MPI_Abort) — never a hang.
#pragma once

#include <memory>

#include "kernels/backend.h"
#include "parallel/control_channel.h"
#include "parallel/tensor_channel.h"

namespace gs {

// Collective over the ranks of `control`: rank 0 makes NCCL's unique id and
// broadcasts it over the control channel; every rank joins on its current CUDA
// device (the one `backend` selected), and the watchdog watches `backend`'s waits
// with the limit timeout_s (> 0). The backend must outlive the channel's use.
std::unique_ptr<TensorChannel> open_nccl_channel(ControlChannel& control, kernels::Backend& backend,
                                                 double timeout_s);

}  // namespace gs
