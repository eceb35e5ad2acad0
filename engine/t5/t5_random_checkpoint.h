// A random T5 checkpoint written to a directory (config.json + model.safetensors),
// for `bench --random-model t5:...`: the bench then loads it as it would any T5
// checkpoint. Values are deterministic in the seed, so every rank writing its own
// copy gets the same model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/t5/t5_config.h"

namespace gs {

struct T5RandomShape {
  int h = 0;           // query heads H (encoder and decoder)
  int g = 0;           // decoder KV groups G; divides h
  int d = 0;           // head size; d_model = h * d
  int enc_layers = 0;
  int dec_layers = 0;
  int ffn = 0;         // d_ff (gated-gelu, as T5.1.1)
  int vocab = 0;
  int buckets = 32;    // relative attention buckets (max distance 128)

  std::string text() const;  // "t5:h=..,g=..,..." canonical spelling
  T5Config config(int max_positions) const;
};

// Parses "t5:h=8,g=2,d=64,enc_layers=2,dec_layers=2,ffn=1024,vocab=32128[,buckets=32]".
// Throws gs::Error naming the bad key or value and listing the keys.
T5RandomShape parse_t5_random_shape(const std::string& text);

// Writes config.json and model.safetensors (f32) of a random model of `shape` into dir.
void write_random_t5_checkpoint(const T5RandomShape& shape, int max_positions, std::uint64_t seed,
                                const std::filesystem::path& dir);

}  // namespace gs
