// The rows of wq/wk (and bq/bk) order each head's rotary pairs, and the formats
// disagree on that order: llama2.c and the engine interleave the pairs, Hugging
// Face splits each head in halves. Converting permutes rows within a head, never
// across heads, so anything done per head (loading a head, pooling K/V heads)
// commutes with it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/checkpoint/weight_source.h"

namespace gs {

// Interleaved row r of a head (pair r/2, component r%2) is this half-split row.
inline int half_split_row(int r, int head_dim) { return r / 2 + (r % 2) * (head_dim / 2); }

// wq, wk, bq and bk: the tensors whose rows depend on the rotary layout.
bool has_rotary_rows(WeightKind kind);

// values holds rows of row_len values (1 for a bias), head_dim rows per head, in
// layout `from`; returns the same rows in layout `to` (half_split_row).
std::vector<float> permute_rotary_rows(std::span<const float> values, int head_dim,
                                       std::int64_t row_len, RotaryLayout from, RotaryLayout to);

}  // namespace gs
