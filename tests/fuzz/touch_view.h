// Reads the first and last byte of a tensor view, so a view that points outside
// its file faults (or trips ASan) inside the fuzzer rather than later in a rank.
#pragma once

#include <cstddef>

#include "common/dtype.h"
#include "engine/checkpoint/weight_source.h"

namespace gs::fuzz {

inline void touch_view(const TensorView& view) {
  std::size_t bytes = dtype_size(view.dtype);
  for (std::int64_t extent : view.shape) bytes *= static_cast<std::size_t>(extent);
  if (bytes == 0) return;
  volatile std::byte sink = view.data[0];
  sink = view.data[bytes - 1];
  (void)sink;
}

}  // namespace gs::fuzz
