#include "common/dtype.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "common/check.h"

namespace gs {

// Checkpoints are little-endian; elements are copied as they lie in the file.
static_assert(std::endian::native == std::endian::little,
              "groupshard assumes a little-endian host");

namespace {

template <typename Names>
const char* name_of(DType dtype, const Names& names, const char* what) {
  switch (dtype) {
    case DType::f32:
      return names[0];
    case DType::f16:
      return names[1];
    case DType::bf16:
      return names[2];
  }
  GS_FAIL(what << ": invalid DType " << static_cast<int>(dtype));
}

// "f32 or bf16", "f32, f16 or bf16".
std::string name_list(std::span<const DType> dtypes) {
  std::string list;
  for (std::size_t i = 0; i < dtypes.size(); ++i) {
    if (i > 0) list += i + 1 == dtypes.size() ? " or " : ", ";
    list += dtype_name(dtypes[i]);
  }
  return list;
}

}  // namespace

const char* dtype_name(DType dtype) {
  static constexpr const char* names[] = {"f32", "f16", "bf16"};
  return name_of(dtype, names, "dtype_name");
}

const char* safetensors_dtype_name(DType dtype) {
  static constexpr const char* names[] = {"F32", "F16", "BF16"};
  return name_of(dtype, names, "safetensors_dtype_name");
}

const char* torch_dtype_name(DType dtype) {
  static constexpr const char* names[] = {"float32", "float16", "bfloat16"};
  return name_of(dtype, names, "torch_dtype_name");
}

DType dtype_from_name(const std::string& name, std::span<const DType> accepted, const std::string& what) {
  for (DType dtype : accepted)
    if (name == dtype_name(dtype)) return dtype;
  GS_FAIL("unknown " << what << " '" << name << "': use " << name_list(accepted));
}

DType dtype_from_safetensors_name(const std::string& name, const std::string& context) {
  for (DType dtype : kDTypes)
    if (name == safetensors_dtype_name(dtype)) return dtype;
  GS_FAIL(context << ": unsupported dtype \"" << name << "\" (supported: F32, F16, BF16)");
}

void require_dtype(DType dtype, std::span<const DType> accepted, const std::string& what) {
  for (DType ok : accepted)
    if (dtype == ok) return;
  GS_FAIL(what << " supports " << name_list(accepted) << ", got " << dtype_name(dtype));
}

float f16_to_f32(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1fu;
  const std::uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in f32.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

std::uint16_t f32_to_f16(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) {
    // Inf stays inf; NaN stays a (quiet) NaN, keeping its top payload bits.
    const std::uint32_t nan = ax > 0x7f800000u ? 0x200u | ((ax >> 13) & 0x3ffu) : 0;
    return static_cast<std::uint16_t>(sign | 0x7c00u | nan);
  }
  // 65520 is halfway between 65504 (largest f16) and 65536; ties-to-even goes up, to inf.
  if (ax >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);
  const std::uint32_t exponent = ax >> 23;
  if (exponent < 113) {
    // Below 2^-14: an f16 subnormal, in units of 2^-24. Under 2^-25 rounds to zero.
    if (exponent < 102) return static_cast<std::uint16_t>(sign);
    const std::uint32_t mantissa = (ax & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126 - exponent;  // 14..24
    std::uint32_t result = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1);
    const std::uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (result & 1u)))
      ++result;  // may carry into the smallest normal
    return static_cast<std::uint16_t>(sign | result);
  }
  std::uint32_t result = ((exponent - 112) << 10) | ((ax >> 13) & 0x3ffu);
  const std::uint32_t rest = ax & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (result & 1u)))
    ++result;  // carry may bump the exponent
  return static_cast<std::uint16_t>(sign | result);
}

std::uint16_t f32_to_bf16(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  // Rounding must not turn a NaN with only low payload bits into inf.
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);
  const std::uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>((x + rounding) >> 16);
}

void convert_to_f32(const std::byte* data, DType dtype, std::size_t count, float* out) {
  switch (dtype) {
    case DType::f32:
      std::memcpy(out, data, count * sizeof(float));
      return;
    case DType::f16:
    case DType::bf16: {
      const bool is_f16 = dtype == DType::f16;
      for (std::size_t i = 0; i < count; ++i) {
        std::uint16_t bits;
        std::memcpy(&bits, data + 2 * i, 2);
        out[i] = is_f16 ? f16_to_f32(bits) : bf16_to_f32(bits);
      }
      return;
    }
  }
  GS_FAIL("convert_to_f32: invalid DType " << static_cast<int>(dtype));
}

void convert_from_f32(const float* values, std::size_t count, DType dtype, std::byte* out) {
  switch (dtype) {
    case DType::f32:
      std::memcpy(out, values, count * sizeof(float));
      return;
    case DType::f16:
    case DType::bf16: {
      const bool is_f16 = dtype == DType::f16;
      for (std::size_t i = 0; i < count; ++i) {
        const std::uint16_t bits = is_f16 ? f32_to_f16(values[i]) : f32_to_bf16(values[i]);
        std::memcpy(out + 2 * i, &bits, 2);
      }
      return;
    }
  }
  GS_FAIL("convert_from_f32: invalid DType " << static_cast<int>(dtype));
}

}  // namespace gs
