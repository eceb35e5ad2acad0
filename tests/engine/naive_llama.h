// An independent, deliberately naive Llama forward pass for tests: double
// precision, no KV cache (every step recomputes the whole sequence), no sharding,
// attention written straight from the formula. It is the truth the engine's
// sharded, cached, fast path is compared against.
#pragma once

#include <vector>

#include "engine/checkpoint/dense_weights.h"

namespace gs::testing {

// Logits (vocab) at every position of `tokens`: row t predicts the token after tokens[t].
std::vector<std::vector<double>> naive_logits(const DenseWeights& weights, const std::vector<int>& tokens);

// Logits (vocab) of the next token after `tokens`.
std::vector<double> naive_next_logits(const DenseWeights& weights, const std::vector<int>& tokens);

}  // namespace gs::testing
