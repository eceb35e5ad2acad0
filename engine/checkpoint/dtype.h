// Element types a checkpoint may store, and their conversion to f32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/bf16.h"

namespace gs {

enum class DType { f32, f16, bf16 };

std::size_t dtype_size(DType dtype);
std::string dtype_name(DType dtype);        // "F32", "F16", "BF16" as safetensors spells them
DType dtype_from_name(const std::string& name, const std::string& context);  // throws naming context

float f16_to_f32(std::uint16_t bits);
std::uint16_t f32_to_f16(float value);      // round to nearest even
std::uint16_t f32_to_bf16(float value);     // round to nearest even

// out[i] = data[i] as f32 for count elements of dtype starting at data (unaligned ok).
void convert_to_f32(const std::byte* data, DType dtype, std::size_t count, float* out);
// out (count * dtype_size) = values converted to dtype.
void convert_from_f32(const float* values, std::size_t count, DType dtype, std::byte* out);

}  // namespace gs
