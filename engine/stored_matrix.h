// StoredMatrix: a weight matrix one rank owns, in its backend's memory and in the
// storage type the run chose: f32, or bf16 to halve the bytes each decode step
// streams (kernels widen it back to f32 in registers).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/backend.h"
#include "kernels/weight_matrix.h"

namespace gs {

class StoredMatrix {
 public:
  StoredMatrix() = default;
  // rows x cols of `type` in backend's memory; the loader sets every row.
  StoredMatrix(kernels::Backend& backend, DType type, int rows, int cols);

  // Stores row r from f32 values (rounded to nearest even for bf16, which keeps
  // values that came from a bf16 checkpoint exact), through a host row buffer.
  void set_row(int r, const float* values);

  kernels::WeightMatrix view() const { return {data_.data(), type_, rows_, cols_}; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  std::int64_t bytes() const;

 private:
  kernels::Backend* backend_ = nullptr;  // owns data_
  DType type_ = DType::f32;
  int rows_ = 0;
  int cols_ = 0;
  kernels::Buffer data_;             // (rows, cols) of type_
  std::vector<std::byte> host_row_;  // (cols) of type_, staged for upload
};

}  // namespace gs
