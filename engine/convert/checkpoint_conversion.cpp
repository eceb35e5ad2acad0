#include "engine/convert/checkpoint_conversion.h"

#include <vector>

#include "engine/checkpoint/hf_writer.h"
#include "engine/checkpoint/weight_inventory.h"

namespace gs {

namespace {

bool is_kv(WeightKind kind) {
  return kind == WeightKind::wk || kind == WeightKind::wv || kind == WeightKind::bk ||
         kind == WeightKind::bv;
}

// splitmix64's finaliser: nearby inputs give unrelated seeds.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t tensor_seed(std::uint64_t seed, const WeightId& id) {
  return mix(mix(mix(seed) ^ static_cast<std::uint64_t>(id.kind)) ^
             static_cast<std::uint64_t>(id.layer + 1));
}

// The whole tensor as f32, in the source's own rotary layout.
void read_tensor_f32(const TensorView& view, std::vector<float>& out) {
  const std::int64_t rows = view.shape.size() == 1 ? 1 : view.rows();
  const std::int64_t cols = view.shape.back();
  out.resize(static_cast<std::size_t>(rows * cols));
  for (std::int64_t r = 0; r < rows; ++r) read_row_f32(view, r, 0, cols, out.data() + r * cols);
}

}  // namespace

ModelConfig converted_config(const ModelConfig& source, int kv_groups) {
  check_kv_regrouping(source.n_heads, source.n_kv_heads, kv_groups);
  ModelConfig config = source;
  config.n_kv_heads = kv_groups;
  return config;
}

void convert_checkpoint(const WeightSource& source, const ConversionSpec& spec,
                        const std::filesystem::path& dir, const ConversionProgress& progress) {
  const ModelConfig config = converted_config(source.config(), spec.kv_groups);
  KvRegrouping regrouping{config.head_dim, source.config().n_kv_heads, spec.kv_groups, spec.init};
  HfCheckpointWriter writer(dir, config, spec.dtype);
  if (progress) progress(0, writer.total_bytes());
  std::vector<float> values;
  for (const WeightId& id : writer.tensors()) {
    read_tensor_f32(source.tensor(id.kind, id.layer), values);
    RotaryLayout layout = source.rotary_layout();
    if (is_kv(id.kind)) {
      // Regrouping moves whole heads, so it commutes with the rotary permutation
      // within each head and may run in the source's layout.
      regrouping.seed = tensor_seed(spec.seed, id);
      const std::vector<std::int64_t> shape = expected_shape(source.config(), id.kind);
      values = regroup_kv_rows(values, shape.size() == 1 ? 1 : shape[1], regrouping);
      // Random rows have no layout to keep: declare them half-split so the same
      // seed writes the same file from a llama2.c or an HF source.
      if (spec.init == KvInit::random) layout = RotaryLayout::half_split;
    }
    writer.write_next(values, layout);
    if (progress) progress(writer.written_bytes(), writer.total_bytes());
  }
  writer.finish();
}

}  // namespace gs
