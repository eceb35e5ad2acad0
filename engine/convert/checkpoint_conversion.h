// Converts a whole checkpoint to another number of KV groups, streaming: each
// tensor is read from the source, regrouped if it is a K/V projection, and
// written to a Hugging Face directory before the next is read, so memory holds
// one tensor (plus its converted copy), never the model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include "common/dtype.h"
#include "engine/checkpoint/weight_source.h"
#include "engine/convert/kv_regrouping.h"

namespace gs {

struct ConversionSpec {
  int kv_groups = 0;
  KvInit init = KvInit::mean;
  std::uint64_t seed = 0;  // for KvInit::random
  DType dtype = DType::f32;
};

// The source's config with kv_groups KV groups; throws naming the problem if the
// source cannot be converted to that many.
ModelConfig converted_config(const ModelConfig& source, int kv_groups);

// Called with the tensor bytes written so far and in all: once with 0 before the
// first tensor, then after each.
using ConversionProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Writes config.json and model.safetensors (half-split rotary layout, spec.dtype)
// into dir, creating it if needed. With KvInit::random each K/V tensor gets its
// own stream derived from (seed, tensor), so the file does not depend on the
// order tensors are visited nor on the input format.
void convert_checkpoint(const WeightSource& source, const ConversionSpec& spec,
                        const std::filesystem::path& dir, const ConversionProgress& progress = {});

}  // namespace gs
