// WeightMatrix: a read-only view of a weight matrix in the type it is stored in.
//
// Decode streams every weight once per step, so its speed is bytes / bandwidth:
// storing weights as bf16 halves the bytes. bf16 is the top 16 bits of an f32, so
// kernels widen it exactly in registers and all arithmetic stays f32.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bf16.h"
#include "common/dtype.h"

namespace gs::kernels {

struct WeightMatrix {
  const void* data = nullptr;  // (rows, cols) row-major, elements of `type`
  DType type = DType::f32;  // one of kWeightDTypes (activations are always f32 on the CPU backends)
  int rows = 0;  // outputs
  int cols = 0;  // inputs

  const float* f32() const { return static_cast<const float*>(data); }
  const std::uint16_t* bf16() const { return static_cast<const std::uint16_t*>(data); }
  // Element (r, c) as f32, for reference code and lookups.
  float at(std::size_t r, std::size_t c) const {
    const std::size_t i = r * cols + c;
    return type == DType::bf16 ? bf16_to_f32(bf16()[i]) : f32()[i];
  }
  // Rows [first, first + count) as a matrix of their own.
  WeightMatrix row_slice(int first, int count) const {
    const std::size_t offset = std::size_t(first) * cols * dtype_size(type);
    return {static_cast<const std::byte*>(data) + offset, type, count, cols};
  }
};

inline WeightMatrix f32_matrix(const float* data, int rows, int cols) {
  return {data, DType::f32, rows, cols};
}
inline WeightMatrix bf16_matrix(const std::uint16_t* data, int rows, int cols) {
  return {data, DType::bf16, rows, cols};
}

}  // namespace gs::kernels
