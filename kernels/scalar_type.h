// The element types tensors are stored and moved in: f32, and bf16 (the top 16
// bits of an f32) to halve the bytes a decode step streams or a collective sends.
#pragma once

#include <cstddef>

namespace gs::kernels {

enum class ScalarType { f32, bf16 };

inline std::size_t scalar_size(ScalarType type) { return type == ScalarType::bf16 ? 2 : 4; }
inline const char* scalar_name(ScalarType type) { return type == ScalarType::bf16 ? "bf16" : "f32"; }

}  // namespace gs::kernels
