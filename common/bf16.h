// bf16: the top 16 bits of an f32 (its sign, its 8 exponent bits, 7 mantissa bits).
// Rounding f32 to bf16 is convert_from_f32 / f32_to_bf16 (common/dtype.h).
#pragma once

#include <bit>
#include <cstdint>

namespace gs {

// Exact: every bf16 value is an f32 value.
inline float bf16_to_f32(std::uint16_t bits) { return std::bit_cast<float>(std::uint32_t(bits) << 16); }

}  // namespace gs
