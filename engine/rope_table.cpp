#include "engine/rope_table.h"

#include <cmath>
#include <numbers>

namespace gs {

namespace {

// Llama 3.1: slow down long wavelengths by `factor`, keep short ones, blend between.
double scale_frequency(double freq, const Llama3RopeScaling& s) {
  const double wavelength = 2.0 * std::numbers::pi / freq;
  const double low_freq_wavelength = s.original_max_position / s.low_freq_factor;
  const double high_freq_wavelength = s.original_max_position / s.high_freq_factor;
  if (wavelength < high_freq_wavelength) return freq;
  if (wavelength > low_freq_wavelength) return freq / s.factor;
  const double smooth = (s.original_max_position / wavelength - s.low_freq_factor) /
                        (s.high_freq_factor - s.low_freq_factor);
  return (1.0 - smooth) * freq / s.factor + smooth * freq;
}

}  // namespace

RopeTable make_rope_table(const ModelConfig& config, int positions) {
  RopeTable table;
  table.positions = positions;
  table.half_dim = config.head_dim / 2;
  table.cos.resize(static_cast<std::size_t>(positions) * table.half_dim);
  table.sin.resize(table.cos.size());
  for (int i = 0; i < table.half_dim; ++i) {
    double freq = std::pow(config.rope_theta, -2.0 * i / config.head_dim);
    if (config.rope_scaling) freq = scale_frequency(freq, *config.rope_scaling);
    for (int pos = 0; pos < positions; ++pos) {
      const double angle = pos * freq;
      table.cos[static_cast<std::size_t>(pos) * table.half_dim + i] = static_cast<float>(std::cos(angle));
      table.sin[static_cast<std::size_t>(pos) * table.half_dim + i] = static_cast<float>(std::sin(angle));
    }
  }
  return table;
}

}  // namespace gs
