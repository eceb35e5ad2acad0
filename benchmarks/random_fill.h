// Buffers of reproducible random floats for the kernel benchmarks: values do not
// change a kernel's speed, but NaNs or denormals from uninitialised memory could.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace gs::benchmarks {

inline std::vector<float> random_floats(std::size_t n, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(n);
  for (float& v : values) v = uniform(rng);
  return values;
}

}  // namespace gs::benchmarks
