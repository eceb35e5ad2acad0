#include "engine/checkpoint/rotary_rows.h"

#include <algorithm>

#include "common/check.h"

namespace gs {

bool has_rotary_rows(WeightKind kind) {
  return kind == WeightKind::wq || kind == WeightKind::wk || kind == WeightKind::bq ||
         kind == WeightKind::bk;
}

std::vector<float> permute_rotary_rows(std::span<const float> values, int head_dim,
                                       std::int64_t row_len, RotaryLayout from, RotaryLayout to) {
  const std::int64_t head_values = std::int64_t{head_dim} * row_len;
  GS_CHECK(head_dim > 0 && head_dim % 2 == 0 && row_len > 0 &&
               static_cast<std::int64_t>(values.size()) % head_values == 0,
           "permute_rotary_rows: " << values.size() << " values are not whole heads of "
                                   << head_dim << " rows of " << row_len);
  if (from == to) return {values.begin(), values.end()};
  std::vector<float> out(values.size());
  const bool to_interleaved = to == RotaryLayout::interleaved;
  const std::int64_t rows = static_cast<std::int64_t>(values.size()) / row_len;
  for (std::int64_t head = 0; head < rows / head_dim; ++head) {
    for (int r = 0; r < head_dim; ++r) {
      const std::int64_t interleaved = head * head_dim + r;
      const std::int64_t half_split = head * head_dim + half_split_row(r, head_dim);
      const float* src = values.data() + (to_interleaved ? half_split : interleaved) * row_len;
      float* dst = out.data() + (to_interleaved ? interleaved : half_split) * row_len;
      std::copy(src, src + row_len, dst);
    }
  }
  return out;
}

}  // namespace gs
