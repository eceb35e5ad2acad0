// The GQA paper's conversion for T5 (Ainslie et al. 2023 convert both decoder
// attentions): the K and V projections of every decoder self-attention and
// cross-attention are regrouped from the checkpoint's G' heads into G (mean, first
// or random pooling; expansion copies, exactly), the encoder and everything else
// copied unchanged. Writes an HF directory: config.json (the source's, with
// num_key_value_heads = G), model.safetensors (the source's tensor names) and the
// source's spiece.model when it has one.
#pragma once

#include <filesystem>

#include "common/dtype.h"
#include "engine/convert/kv_regrouping.h"
#include "engine/t5/t5_checkpoint.h"

namespace gs {

struct T5ConversionSpec {
  int kv_groups = 1;
  KvInit init = KvInit::mean;
  std::uint64_t seed = 0;
  DType dtype = DType::f32;
};

// Throws gs::Error naming the problem unless the checkpoint can be regrouped so.
void check_t5_conversion(const T5Config& config, const T5ConversionSpec& spec);

// Writes the converted checkpoint into dir (which must exist).
void convert_t5_checkpoint(const std::filesystem::path& source_dir, const T5ConversionSpec& spec,
                           const std::filesystem::path& dir);

}  // namespace gs
