// A STREAM-style read test: the memory bandwidth one rank can draw, the yardstick
// for how close a decode step (which must stream every weight and the KV cache)
// comes to the machine's limit.
#pragma once

#include <cstddef>

namespace gs::bench {

// Bytes to read: four times the last-level cache, within 256 .. 512 MiB, so the
// test measures memory, not cache. (A VM may report the host's whole L3, hundreds
// of MiB over many dies, of which one core reaches only its own die's share.)
std::size_t default_stream_bytes();

// Best of `runs` timed passes of a multi-threaded sum over `bytes` of floats with
// the current OpenMP thread count (kernels::cpu::set_threads), in GB/s (1e9 B/s).
double measure_read_bandwidth(std::size_t bytes, int runs);

}  // namespace gs::bench
