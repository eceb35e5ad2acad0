// A WeightSource of random weights generated in memory, stored as bf16 so that a
// 1.1B-parameter shape costs 2.2 GB per rank instead of 4.4 GB of f32 (and the
// loader converts each rank's slice to the engine's own storage type).
#pragma once

#include <cstdint>
#include <memory>

#include "engine/checkpoint/weight_source.h"

namespace gs::bench {

// Every tensor of `config`, uniform in ±sqrt(3 / fan_in) (norms near 1, the
// embedding in ±1) so activations stay O(1); reproducible from seed on every rank.
std::unique_ptr<WeightSource> make_random_weight_source(const ModelConfig& config,
                                                        std::uint64_t seed);

}  // namespace gs::bench
