#include "engine/convert/kv_regrouping.h"

#include <cmath>
#include <random>

#include "common/check.h"

namespace gs {

KvInit kv_init_from_name(const std::string& name) {
  if (name == "mean") return KvInit::mean;
  if (name == "first") return KvInit::first;
  if (name == "random") return KvInit::random;
  GS_FAIL("unknown K/V initialisation method '" << name << "': use mean, first or random");
}

std::string kv_init_name(KvInit init) {
  switch (init) {
    case KvInit::mean:
      return "mean";
    case KvInit::first:
      return "first";
    case KvInit::random:
      return "random";
  }
  GS_FAIL("kv_init_name: invalid KvInit " << static_cast<int>(init));
}

void check_kv_regrouping(int n_heads, int from_groups, int to_groups) {
  GS_CHECK(to_groups >= 1, "cannot convert to " << to_groups << " KV groups: need at least 1");
  GS_CHECK(n_heads % to_groups == 0,
           "cannot convert to " << to_groups << " KV groups: " << to_groups
                                << " does not divide the model's " << n_heads
                                << " query heads (every group holds the same number)");
  GS_CHECK(from_groups % to_groups == 0 || to_groups % from_groups == 0,
           "cannot convert to " << to_groups << " KV groups: the model has " << from_groups
                                << ", and pooling needs a divisor of " << from_groups
                                << ", expanding a multiple of it");
}

namespace {

// Uniform in [-1, 1) from the top 24 bits: the same numbers on every standard
// library (std::*_distribution are implementation-defined), so a seed names one file.
float uniform(std::mt19937_64& rng) {
  return static_cast<float>(rng() >> 40) * 0x1p-23f - 1.0f;
}

std::vector<float> random_rows(std::span<const float> rows, std::size_t count, std::uint64_t seed) {
  double sum_squares = 0;
  for (float v : rows) sum_squares += static_cast<double>(v) * v;
  const double rms = rows.empty() ? 0.0 : std::sqrt(sum_squares / static_cast<double>(rows.size()));
  // Uniform in ±a has RMS a / sqrt(3).
  const float amplitude = static_cast<float>(rms * std::sqrt(3.0));
  std::mt19937_64 rng(seed);
  std::vector<float> out(count);
  for (float& v : out) v = amplitude * uniform(rng);
  return out;
}

}  // namespace

std::vector<float> regroup_kv_rows(std::span<const float> rows, std::int64_t cols,
                                   const KvRegrouping& r) {
  GS_CHECK(r.head_dim > 0 && cols > 0 && r.from_groups > 0 && r.to_groups > 0,
           "regroup_kv_rows: head_dim, cols and group counts must be positive");
  GS_CHECK(r.from_groups % r.to_groups == 0 || r.to_groups % r.from_groups == 0,
           "regroup_kv_rows: " << r.from_groups << " groups cannot become " << r.to_groups);
  const std::size_t head = static_cast<std::size_t>(r.head_dim) * static_cast<std::size_t>(cols);
  GS_CHECK(rows.size() == head * static_cast<std::size_t>(r.from_groups),
           "regroup_kv_rows: expected " << r.from_groups << " heads of " << r.head_dim << " x "
                                        << cols << " values, got " << rows.size() << " values");
  const std::size_t out_size = head * static_cast<std::size_t>(r.to_groups);
  if (r.init == KvInit::random) return random_rows(rows, out_size, r.seed);

  std::vector<float> out(out_size);
  // New group g takes old groups [first, first + merged): several when pooling,
  // the one it lies in when expanding.
  const int merged = std::max(1, r.from_groups / r.to_groups);
  const int split = std::max(1, r.to_groups / r.from_groups);
  const int used = r.init == KvInit::mean ? merged : 1;
  for (int g = 0; g < r.to_groups; ++g) {
    const std::size_t first = static_cast<std::size_t>(g / split) * merged;
    for (std::size_t i = 0; i < head; ++i) {
      double sum = 0;
      for (int k = 0; k < used; ++k) sum += rows[(first + k) * head + i];
      out[static_cast<std::size_t>(g) * head + i] = static_cast<float>(sum / used);
    }
  }
  return out;
}

}  // namespace gs
