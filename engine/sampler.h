// Sampler: picks the next token from a row of logits on rank 0.
//
// temperature 0 is greedy (argmax, lowest id on ties). Otherwise logits are divided
// by the temperature, cut to the top_k most likely (0 = all), then to the smallest
// set whose probability reaches top_p (1 = all), and sampled. Each sequence draws
// from its own generator, seeded from (seed, stream index) by sequence_generator, so
// a sequence's output depends neither on which others share its batch, nor on tp,
// nor on the sampling settings of the others.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace gs {

struct SamplingParams {
  float temperature = 0.0f;
  int top_k = 0;
  float top_p = 1.0f;
  std::uint64_t seed = 0;

  void validate() const;  // throws naming the bad parameter
};

// The random stream of sequence number `stream` under `seed` (generate numbers its
// prompts 0, 1, ...): distinct and reproducible per (seed, stream).
std::mt19937_64 sequence_generator(std::uint64_t seed, int stream);

class Sampler {
 public:
  explicit Sampler(int vocab_size);

  // params must be valid; generator is the sequence's own (sequence_generator).
  int sample(const SamplingParams& params, std::mt19937_64& generator, std::span<const float> logits);

 private:
  std::vector<std::pair<float, int>> candidates_;  // (vocab) scratch, sized once
};

int argmax(std::span<const float> logits);

}  // namespace gs
