// Sampler: picks the next token from a row of logits on rank 0.
//
// temperature 0 is greedy (argmax, lowest id on ties). Otherwise logits are divided
// by the temperature, cut to the top_k most likely (0 = all), then to the smallest
// set whose probability reaches top_p (1 = all), and sampled. Each sequence has
// its own generator seeded from (seed, sequence index), so a sequence's output does
// not depend on which others share its batch, nor on tp.
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

class Sampler {
 public:
  Sampler(const SamplingParams& params, int vocab_size);

  // Seeds the generator of the sequence with index `sequence`.
  void start_sequence(int sequence);
  int sample(int sequence, std::span<const float> logits);

 private:
  SamplingParams params_;
  std::vector<std::mt19937_64> generators_;
  std::vector<std::pair<float, int>> candidates_;  // (vocab) scratch, sized once
};

int argmax(std::span<const float> logits);

}  // namespace gs
