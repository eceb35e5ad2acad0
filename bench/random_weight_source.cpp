#include "bench/random_weight_source.h"

#include <cmath>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "engine/checkpoint/weight_inventory.h"
#include "common/check.h"

namespace gs::bench {

namespace {

// splitmix64: a counter-based generator, so the threads filling one tensor need
// no shared state and the values do not depend on the thread count.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// bf16 is the top half of an f32; truncation is close enough for random values.
std::uint16_t to_bf16(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return static_cast<std::uint16_t>(bits >> 16);
}

float scale_of(WeightKind kind, float fan_in) {
  switch (kind) {
    case WeightKind::token_embedding:
      return 1.0f;
    case WeightKind::attn_norm:
    case WeightKind::ffn_norm:
    case WeightKind::final_norm:
    case WeightKind::bq:
    case WeightKind::bk:
    case WeightKind::bv:
      return 0.1f;
    default:
      return std::sqrt(3.0f / fan_in);
  }
}

bool is_norm(WeightKind kind) {
  return kind == WeightKind::attn_norm || kind == WeightKind::ffn_norm ||
         kind == WeightKind::final_norm;
}

class RandomWeightSource : public WeightSource {
 public:
  RandomWeightSource(const ModelConfig& config, std::uint64_t seed) : config_(config) {
    config_.validate(describe());
    std::uint64_t stream = mix(seed);
    for (const WeightId& id : model_weights(config_)) {
      const std::vector<std::int64_t> shape = expected_shape(config_, id.kind);
      std::int64_t count = 1;
      for (std::int64_t extent : shape) count *= extent;
      std::vector<std::uint16_t>& values = tensors_[{id.kind, id.layer}];
      values.resize(static_cast<std::size_t>(count));
      const float scale = scale_of(id.kind, static_cast<float>(shape.back()));
      const float offset = is_norm(id.kind) ? 1.0f : 0.0f;
      stream = mix(stream);
      const std::uint64_t key = stream;
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < count; ++i) {
        // Uniform in [-1, 1) from the top 24 bits.
        const float u = static_cast<float>(mix(key + static_cast<std::uint64_t>(i)) >> 40) * 0x1p-23f - 1.0f;
        values[static_cast<std::size_t>(i)] = to_bf16(offset + scale * u);
      }
    }
  }

  const ModelConfig& config() const override { return config_; }
  RotaryLayout rotary_layout() const override { return RotaryLayout::interleaved; }
  std::string describe() const override { return "random bf16 model"; }

  TensorView tensor(WeightKind kind, int layer) const override {
    check_weight_request(config_, kind, layer, describe());
    TensorView view;
    view.name = weight_label(kind, layer);
    view.dtype = DType::bf16;
    view.shape = expected_shape(config_, kind);
    view.data = reinterpret_cast<const std::byte*>(tensors_.at({kind, layer}).data());
    return view;
  }

 private:
  ModelConfig config_;
  std::map<std::pair<WeightKind, int>, std::vector<std::uint16_t>> tensors_;
};

}  // namespace

std::unique_ptr<WeightSource> make_random_weight_source(const ModelConfig& config,
                                                        std::uint64_t seed) {
  return std::make_unique<RandomWeightSource>(config, seed);
}

}  // namespace gs::bench
