// When a loop is worth splitting over threads: below this many floats touched,
// waking the thread pool costs more than the loop itself.
#pragma once

#include <cstddef>

namespace gs::kernels::cpu {

inline constexpr std::size_t kParallelMinFloats = std::size_t(1) << 15;

}  // namespace gs::kernels::cpu
