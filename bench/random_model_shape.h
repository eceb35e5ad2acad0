// RandomModelShape: the `--random-model` argument of `groupshard bench`, e.g.
// "h=32,g=8,d=128,layers=8,ffn=5632,vocab=32000", so sweeps over the KV group
// count G need no checkpoint files.
#pragma once

#include <string>

#include "engine/model_config.h"

namespace gs::bench {

struct RandomModelShape {
  int h = 0;       // query heads H; model width is h * d
  int g = 0;       // KV groups G; divides h
  int d = 0;       // head size; even (RoPE rotates pairs)
  int layers = 0;
  int ffn = 0;     // MLP intermediate size
  int vocab = 0;

  // "h=32,g=8,d=128,layers=8,ffn=5632,vocab=32000": the canonical spelling.
  std::string text() const;
  // The shape of a loaded model's config, to label its results the same way.
  static RandomModelShape of(const ModelConfig& config);
  // A Llama config with this shape (untied LM head, no biases) holding max_seq_len positions.
  ModelConfig config(int max_seq_len) const;
};

// Parses "key=value,..." with every key of RandomModelShape given exactly once as
// a positive integer. Throws gs::Error naming the bad key or value and listing
// the expected keys.
RandomModelShape parse_random_model_shape(const std::string& text);

}  // namespace gs::bench
