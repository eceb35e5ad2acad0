// A kernel that keeps a stream busy for a given time, for GPU tests of what waits
// on a stream: event timing, and the NCCL watchdog (a "collective" that never ends).
#pragma once

#include "kernels/buffer.h"

namespace gs::test {

// Enqueues on `stream` one thread that spins for `seconds` of GPU clock.
void spin_on_stream(kernels::Stream stream, double seconds);

}  // namespace gs::test
