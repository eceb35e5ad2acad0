// StoredMatrix: a weight matrix one rank owns, in the storage type the run chose:
// f32, or bf16 to halve the bytes each decode step streams (kernels widen it back
// to f32 in registers).
//
// Each matrix is its own anonymous mapping: page aligned (rows whose size is a
// multiple of 64 bytes start on cache lines, so vector loads never straddle two),
// given back to the OS when freed (resident memory is what the rank holds, not
// what the allocator kept), and eligible for transparent huge pages, which spare
// a decode step a TLB miss per 4 KiB it streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/weight_matrix.h"

namespace gs {

class StoredMatrix {
 public:
  StoredMatrix() = default;
  // rows x cols of `type`, uninitialised: the loader sets every row.
  StoredMatrix(kernels::WeightType type, int rows, int cols);

  // Stores row r from f32 values; bf16 rounds to nearest even, which keeps values
  // that came from a bf16 checkpoint exact.
  void set_row(int r, const float* values);
  // Row r widened to f32 (the embedding lookup).
  void copy_row(int r, float* out) const;

  kernels::WeightMatrix view() const { return {data_.get(), type_, rows_, cols_}; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  std::int64_t bytes() const;

 private:
  struct Unmap {
    std::size_t size;  // of the mapping
    void operator()(std::byte* p) const;
  };
  kernels::WeightType type_ = kernels::WeightType::f32;
  int rows_ = 0;
  int cols_ = 0;
  std::unique_ptr<std::byte[], Unmap> data_;  // (rows, cols) of type_
};

}  // namespace gs
