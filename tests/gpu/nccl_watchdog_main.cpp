// The NCCL watchdog, end to end: a kernel that spins for a minute sits before an
// all-reduce on the stream, so the collective cannot finish; with
// runtime.collective_timeout_s = 2 the wait for its result must end the job within
// seconds, with one message naming the rank and host — not hang, not return.
// Run under mpirun -np 1 by tests/gpu/CMakeLists.txt; prints "skipped" and exits 77
// without a GPU.
#include <cstdio>

#include "kernels/backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "parallel/mpi_channels.h"
#include "parallel/nccl_tensor_channel.h"
#include "tests/gpu/spin_kernel.h"

int main(int argc, char** argv) {
  gs::MpiSession mpi(&argc, &argv);
  if (gs::kernels::cuda::visible_devices() == 0) {
    std::puts("skipped: no CUDA device visible");
    return 77;
  }
  gs::MpiControlChannel control(MPI_COMM_WORLD);
  // The backend's own limit is far away: the channel's watchdog must act first.
  auto backend = gs::kernels::make_backend(gs::kernels::BackendKind::cuda, {}, {.device = -1, .wait_timeout_s = 600});
  auto channel = gs::open_nccl_channel(control, *backend, 2.0);
  gs::kernels::Buffer data = backend->allocate(1024 * sizeof(float));
  gs::test::spin_on_stream(backend->stream(), 60.0);
  channel->all_reduce_sum({data.data(), 1024, gs::DType::f32, gs::kernels::MemorySpace::device},
                          backend->stream());
  float host[1024];
  backend->download(host, data.data(), sizeof host);
  std::puts("FAIL: the wait for a stuck collective returned");
  return 0;
}
