// The element types groupshard stores and moves, in one place: their names, byte
// sizes, parsing, and conversion to and from f32.
//
// f32; bf16, the top 16 bits of an f32, which halves the bytes a decode step
// streams or a collective sends; f16, which checkpoints may store and `convert`
// may write. Not every place takes all three: weights in memory are f32 or bf16
// (kWeightDTypes, the kernels read no other), and so are the tensors a collective
// moves. Such a place checks explicitly (dtype_from_name's `accepted`,
// require_dtype) rather than reading an f16 as something else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/bf16.h"
#include "common/check.h"

namespace gs {

enum class DType { f32, f16, bf16 };

inline constexpr DType kDTypes[] = {DType::f32, DType::f16, DType::bf16};
// What a weight matrix may be stored as in a backend's memory.
inline constexpr DType kWeightDTypes[] = {DType::f32, DType::bf16};

inline std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return 4;
    case DType::f16:
    case DType::bf16:
      return 2;
  }
  GS_FAIL("dtype_size: invalid DType " << static_cast<int>(dtype));
}

// "f32", "f16", "bf16": as configs, flags and reports spell them.
const char* dtype_name(DType dtype);
// "F32", "F16", "BF16": as safetensors headers spell them.
const char* safetensors_dtype_name(DType dtype);
// "float32", "float16", "bfloat16": the torch_dtype of a Hugging Face config.json.
const char* torch_dtype_name(DType dtype);

// dtype_name's inverse over `accepted`; otherwise throws
// "unknown WHAT 'NAME': use f32 or bf16" (the accepted names).
DType dtype_from_name(const std::string& name, std::span<const DType> accepted, const std::string& what);
// safetensors_dtype_name's inverse; otherwise throws naming context and the supported names.
DType dtype_from_safetensors_name(const std::string& name, const std::string& context);
// Throws "WHAT supports f32 or bf16, got f16" when dtype is not accepted.
void require_dtype(DType dtype, std::span<const DType> accepted, const std::string& what);

float f16_to_f32(std::uint16_t bits);
std::uint16_t f32_to_f16(float value);      // round to nearest even
std::uint16_t f32_to_bf16(float value);     // round to nearest even

// out[i] = data[i] as f32 for count elements of dtype starting at data (unaligned ok).
void convert_to_f32(const std::byte* data, DType dtype, std::size_t count, float* out);
// out (count * dtype_size) = values converted to dtype.
void convert_from_f32(const float* values, std::size_t count, DType dtype, std::byte* out);

}  // namespace gs
