// Names, sizes and parsing of the element types; f16/bf16 conversion against
// known bit patterns, and exhaustive round trips.
#include "common/dtype.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace gs {
namespace {

// The message of the gs::Error that f throws, or a marker that none was thrown.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no gs::Error thrown)";
}

TEST(DType, NamesAndSizes) {
  EXPECT_EQ(dtype_size(DType::f32), 4u);
  EXPECT_EQ(dtype_size(DType::f16), 2u);
  EXPECT_EQ(dtype_size(DType::bf16), 2u);
  EXPECT_STREQ(dtype_name(DType::f16), "f16");
  EXPECT_STREQ(safetensors_dtype_name(DType::bf16), "BF16");
  EXPECT_STREQ(torch_dtype_name(DType::f32), "float32");
  for (DType d : kDTypes) {
    EXPECT_EQ(dtype_from_safetensors_name(safetensors_dtype_name(d), "test"), d);
    EXPECT_EQ(dtype_from_name(dtype_name(d), kDTypes, "test"), d);
  }
  const std::string message =
      error_of([] { dtype_from_safetensors_name("F64", "weights.safetensors: tensor x"); });
  EXPECT_NE(message.find("weights.safetensors: tensor x"), std::string::npos) << message;
  EXPECT_NE(message.find("unsupported dtype \"F64\""), std::string::npos) << message;
}

// A place that takes fewer types names them and refuses the others.
TEST(DType, SubsetsAreExplicit) {
  EXPECT_EQ(error_of([] { dtype_from_name("f16", kWeightDTypes, "weight dtype"); }),
            "unknown weight dtype 'f16': use f32 or bf16");
  EXPECT_EQ(error_of([] { dtype_from_name("F32", kDTypes, "--dtype"); }),
            "unknown --dtype 'F32': use f32, f16 or bf16");
  EXPECT_NO_THROW(require_dtype(DType::bf16, kWeightDTypes, "weights"));
  EXPECT_EQ(error_of([] { require_dtype(DType::f16, kWeightDTypes, "a weight matrix in memory"); }),
            "a weight matrix in memory supports f32 or bf16, got f16");
}

TEST(DType, F16KnownValues) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-2.5f), 0xc100);
  EXPECT_EQ(f32_to_f16(0.0f), 0x0000);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);  // largest finite
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);  // below the halfway point to 65536
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // halfway: ties to even overflow to inf
  EXPECT_EQ(f32_to_f16(1e10f), 0x7c00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);  // halfway to it: ties to even (zero)
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -26)), 0x0001);  // above halfway rounds up
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 units: ties to even (2)
  EXPECT_EQ(f32_to_f16(std::ldexp(1023.5f, -24)),
            0x0400);  // subnormal rounding carries into the normals
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie, even stays down
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie, odd goes up
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::numeric_limits<float>::quiet_NaN()))));
  // A NaN whose payload lies only in bits f16 drops must stay NaN, not become inf.
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::bit_cast<float>(0x7f800001u)))));

  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xc100), -2.5f);
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16_to_f32(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
}

TEST(DType, Bf16KnownValues) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(-2.5f), 0xc020);
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);      // tie, even stays down
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);  // tie, odd goes up
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()),
            0x7f80);  // rounds past the largest bf16
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::bit_cast<float>(0x7f800001u)))));
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xc020), -2.5f);
}

// Every non-NaN 16-bit pattern survives the trip through f32 unchanged.
TEST(DType, ExhaustiveRoundTrip) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto b = static_cast<std::uint16_t>(bits);
    const float h = f16_to_f32(b);
    if (!std::isnan(h)) {
      EXPECT_EQ(f32_to_f16(h), b) << std::hex << bits;
    }
    const float bf = bf16_to_f32(b);
    if (!std::isnan(bf)) {
      EXPECT_EQ(f32_to_bf16(bf), b) << std::hex << bits;
    }
  }
}

TEST(DType, BufferConversionHandlesUnalignedData) {
  const std::vector<float> values = {1.0f, -2.5f, 0.1f, 65504.0f};
  for (DType dtype : {DType::f32, DType::f16, DType::bf16}) {
    std::vector<std::byte> buffer(1 + values.size() * dtype_size(dtype));
    convert_from_f32(values.data(), values.size(), dtype, buffer.data() + 1);
    std::vector<float> back(values.size());
    convert_to_f32(buffer.data() + 1, dtype, values.size(), back.data());
    for (std::size_t i = 0; i < values.size(); ++i) {
      const float expected = dtype == DType::f32   ? values[i]
                             : dtype == DType::f16 ? f16_to_f32(f32_to_f16(values[i]))
                                                   : bf16_to_f32(f32_to_bf16(values[i]));
      EXPECT_EQ(back[i], expected) << dtype_name(dtype) << " element " << i;
    }
  }
}

}  // namespace
}  // namespace gs
