#include "engine/stored_matrix.h"

#include <sys/mman.h>

#include <algorithm>

#include "engine/checkpoint/dtype.h"
#include "kernels/check.h"

namespace gs {

void StoredMatrix::Unmap::operator()(std::byte* p) const { munmap(p, size); }

StoredMatrix::StoredMatrix(kernels::WeightType type, int rows, int cols)
    : type_(type), rows_(rows), cols_(cols) {
  GS_CHECK(rows >= 0 && cols >= 0, "weight matrix shape (" << rows << ", " << cols << ")");
  const std::size_t size = static_cast<std::size_t>(bytes());
  if (size == 0) return;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  GS_CHECK(p != MAP_FAILED, "out of memory mapping a " << rows << " x " << cols << " "
                                                       << kernels::weight_type_name(type)
                                                       << " weight matrix (" << size << " bytes)");
  madvise(p, size, MADV_HUGEPAGE);  // a hint: without THP the mapping still works
  data_ = std::unique_ptr<std::byte[], Unmap>(static_cast<std::byte*>(p), Unmap{size});
}

std::int64_t StoredMatrix::bytes() const {
  return static_cast<std::int64_t>(rows_) * cols_ * kernels::weight_type_size(type_);
}

void StoredMatrix::set_row(int r, const float* values) {
  std::byte* row = data_.get() + static_cast<std::size_t>(r) * cols_ * kernels::weight_type_size(type_);
  convert_from_f32(values, cols_, type_ == kernels::WeightType::bf16 ? DType::bf16 : DType::f32, row);
}

void StoredMatrix::copy_row(int r, float* out) const {
  const kernels::WeightMatrix w = view();
  if (type_ == kernels::WeightType::f32) {
    std::copy_n(w.f32() + static_cast<std::size_t>(r) * cols_, cols_, out);
    return;
  }
  const std::uint16_t* row = w.bf16() + static_cast<std::size_t>(r) * cols_;
  std::transform(row, row + cols_, out, kernels::widen_bf16);
}

}  // namespace gs
