// Rotary-embedding angles for every position the cache can hold, computed once in
// double precision (theta and Llama 3 scaling from the config).
#pragma once

#include <vector>

#include "engine/model_config.h"

namespace gs {

struct RopeTable {
  int positions = 0;
  int half_dim = 0;        // head_dim / 2
  std::vector<float> cos;  // (positions, half_dim)
  std::vector<float> sin;  // (positions, half_dim)
};

RopeTable make_rope_table(const ModelConfig& config, int positions);

}  // namespace gs
