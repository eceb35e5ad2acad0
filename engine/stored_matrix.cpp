#include "engine/stored_matrix.h"

#include "common/dtype.h"
#include "common/check.h"

namespace gs {

StoredMatrix::StoredMatrix(kernels::Backend& backend, DType type, int rows, int cols)
    : backend_(&backend), type_(type), rows_(rows), cols_(cols) {
  GS_CHECK(rows >= 0 && cols >= 0, "weight matrix shape (" << rows << ", " << cols << ")");
  require_dtype(type, kWeightDTypes, "a weight matrix in backend memory");
  data_ = backend.allocate(static_cast<std::size_t>(bytes()));
  host_row_.resize(static_cast<std::size_t>(cols) * dtype_size(type));
}

std::int64_t StoredMatrix::bytes() const {
  return static_cast<std::int64_t>(rows_) * cols_ * dtype_size(type_);
}

void StoredMatrix::set_row(int r, const float* values) {
  convert_from_f32(values, cols_, type_, host_row_.data());
  backend_->upload(data_.as<std::byte>() + static_cast<std::size_t>(r) * host_row_.size(), host_row_.data(),
                   host_row_.size());
}

}  // namespace gs
