#include "engine/sampler.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace gs {

void SamplingParams::validate() const {
  GS_CHECK(temperature >= 0.0f && std::isfinite(temperature),
           "sampling.temperature must be >= 0 (0 = greedy), got " << temperature);
  GS_CHECK(top_k >= 0, "sampling.top_k must be >= 0 (0 = no cut), got " << top_k);
  GS_CHECK(top_p > 0.0f && top_p <= 1.0f, "sampling.top_p must be in (0, 1], got " << top_p);
}

int argmax(std::span<const float> logits) {
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

Sampler::Sampler(int vocab_size) : candidates_(vocab_size) {}

std::mt19937_64 sequence_generator(std::uint64_t seed, int stream) {
  std::seed_seq seeds{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                      static_cast<std::uint32_t>(stream)};
  return std::mt19937_64(seeds);
}

int Sampler::sample(const SamplingParams& params, std::mt19937_64& generator,
                    std::span<const float> logits) {
  if (params.temperature == 0.0f) return argmax(logits);
  const int vocab = static_cast<int>(logits.size());
  for (int i = 0; i < vocab; ++i) candidates_[i] = {logits[i], i};
  auto by_logit = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  const int k = params.top_k > 0 ? std::min(params.top_k, vocab) : vocab;
  std::partial_sort(candidates_.begin(), candidates_.begin() + k, candidates_.begin() + vocab, by_logit);

  // Softmax over the k best at the temperature, then keep the top_p nucleus.
  const double top = candidates_[0].first;
  double total = 0.0;
  for (int i = 0; i < k; ++i) total += std::exp((candidates_[i].first - top) / params.temperature);
  int kept = k;
  double kept_mass = total;
  if (params.top_p < 1.0f) {
    double cumulative = 0.0;
    for (int i = 0; i < k; ++i) {
      cumulative += std::exp((candidates_[i].first - top) / params.temperature);
      if (cumulative >= params.top_p * total) {
        kept = i + 1;
        kept_mass = cumulative;
        break;
      }
    }
  }
  const double r = std::uniform_real_distribution<double>(0.0, kept_mass)(generator);
  double cumulative = 0.0;
  for (int i = 0; i < kept; ++i) {
    cumulative += std::exp((candidates_[i].first - top) / params.temperature);
    if (r < cumulative) return candidates_[i].second;
  }
  return candidates_[kept - 1].second;
}

}  // namespace gs
