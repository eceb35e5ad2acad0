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

Sampler::Sampler(const SamplingParams& params, int vocab_size)
    : params_(params), candidates_(vocab_size) {
  params_.validate();
}

void Sampler::start_sequence(int sequence) {
  if (static_cast<int>(generators_.size()) <= sequence) generators_.resize(sequence + 1);
  // Distinct, reproducible streams per sequence.
  std::seed_seq seeds{static_cast<std::uint32_t>(params_.seed), static_cast<std::uint32_t>(params_.seed >> 32),
                      static_cast<std::uint32_t>(sequence)};
  generators_[sequence].seed(seeds);
}

int Sampler::sample(int sequence, std::span<const float> logits) {
  if (params_.temperature == 0.0f) return argmax(logits);
  const int vocab = static_cast<int>(logits.size());
  for (int i = 0; i < vocab; ++i) candidates_[i] = {logits[i], i};
  auto by_logit = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  const int k = params_.top_k > 0 ? std::min(params_.top_k, vocab) : vocab;
  std::partial_sort(candidates_.begin(), candidates_.begin() + k, candidates_.begin() + vocab, by_logit);

  // Softmax over the k best at the temperature, then keep the top_p nucleus.
  const double top = candidates_[0].first;
  double total = 0.0;
  for (int i = 0; i < k; ++i) total += std::exp((candidates_[i].first - top) / params_.temperature);
  int kept = k;
  double kept_mass = total;
  if (params_.top_p < 1.0f) {
    double cumulative = 0.0;
    for (int i = 0; i < k; ++i) {
      cumulative += std::exp((candidates_[i].first - top) / params_.temperature);
      if (cumulative >= params_.top_p * total) {
        kept = i + 1;
        kept_mass = cumulative;
        break;
      }
    }
  }
  const double r = std::uniform_real_distribution<double>(0.0, kept_mass)(generators_.at(sequence));
  double cumulative = 0.0;
  for (int i = 0; i < kept; ++i) {
    cumulative += std::exp((candidates_[i].first - top) / params_.temperature);
    if (r < cumulative) return candidates_[i].second;
  }
  return candidates_[kept - 1].second;
}

}  // namespace gs
