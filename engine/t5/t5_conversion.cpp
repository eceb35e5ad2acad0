#include "engine/t5/t5_conversion.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/checkpoint/safetensors_writer.h"
#include "common/check.h"

namespace gs {

namespace {

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::vector<float> read_all(const TensorView& view) {
  const std::int64_t rows = view.shape.size() == 1 ? 1 : view.rows(), cols = view.shape.back();
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  for (std::int64_t r = 0; r < rows; ++r) read_row_f32(view, r, 0, cols, out.data() + r * cols);
  return out;
}

}  // namespace

void check_t5_conversion(const T5Config& config, const T5ConversionSpec& spec) {
  check_kv_regrouping(config.n_heads, config.n_kv_heads, spec.kv_groups);
}

void convert_t5_checkpoint(const std::filesystem::path& source_dir, const T5ConversionSpec& spec,
                           const std::filesystem::path& dir) {
  const T5Checkpoint source(source_dir);
  const T5Config& c = source.config();
  check_t5_conversion(c, spec);

  // Every tensor the model reads, by name, in a fixed order; the decoder's K/V regrouped.
  std::vector<std::string> names = {source.embedding().name};
  std::vector<bool> regroup = {false};
  for (const std::string stack : {"encoder", "decoder"}) {
    const bool decoder = stack == "decoder";
    names.push_back(T5Checkpoint::relative_bias_name(stack));
    regroup.push_back(false);
    for (int l = 0; l < (decoder ? c.n_decoder_layers : c.n_encoder_layers); ++l) {
      for (bool cross : decoder ? std::vector<bool>{false, true} : std::vector<bool>{false})
        for (const char* proj : {"q", "k", "v", "o"}) {
          names.push_back(T5Checkpoint::attention_name(stack, l, cross, proj));
          regroup.push_back(decoder && (proj[0] == 'k' || proj[0] == 'v'));
        }
      for (int sub = 0; sub < (decoder ? 3 : 2); ++sub) {
        names.push_back(T5Checkpoint::norm_name(stack, l, sub));
        regroup.push_back(false);
      }
      for (const char* proj : c.gated ? std::vector<const char*>{"wi_0", "wi_1", "wo"} : std::vector<const char*>{"wi", "wo"}) {
        names.push_back(T5Checkpoint::ffn_name(stack, l, proj));
        regroup.push_back(false);
      }
    }
    names.push_back(stack + ".final_layer_norm.weight");
    regroup.push_back(false);
  }
  if (!c.tied_embeddings) {
    names.push_back("lm_head.weight");
    regroup.push_back(false);
  }

  std::vector<SafetensorsEntry> entries;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const TensorView& view = i == 0 ? source.embedding() : source.tensor(names[i]);
    std::vector<std::int64_t> shape = view.shape;
    if (regroup[i]) shape[0] = static_cast<std::int64_t>(spec.kv_groups) * c.d_kv;
    entries.push_back({names[i], spec.dtype, shape});
  }
  SafetensorsWriter writer(dir / "model.safetensors", entries, {{"format", "pt"}});
  KvRegrouping regrouping{c.d_kv, c.n_kv_heads, spec.kv_groups, spec.init};
  std::vector<std::byte> bytes;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const TensorView& view = i == 0 ? source.embedding() : source.tensor(names[i]);
    std::vector<float> values = read_all(view);
    if (regroup[i]) {
      regrouping.seed = mix(mix(spec.seed) ^ std::hash<std::string>{}(names[i]));
      values = regroup_kv_rows(values, view.cols(), regrouping);
    }
    bytes.resize(values.size() * dtype_size(spec.dtype));
    convert_from_f32(values.data(), values.size(), spec.dtype, bytes.data());
    writer.write_next(bytes);
  }
  writer.finish();

  std::ifstream in(source_dir / "config.json", std::ios::binary);
  nlohmann::json config = nlohmann::json::parse(in);
  config["num_key_value_heads"] = spec.kv_groups;
  config["torch_dtype"] = torch_dtype_name(spec.dtype);
  std::ofstream out(dir / "config.json", std::ios::binary);
  out << config.dump(2) << "\n";
  GS_CHECK(out.good(), "cannot write " << (dir / "config.json").string());
  out.close();
  if (std::filesystem::is_regular_file(source_dir / "spiece.model")) {
    std::error_code error;
    std::filesystem::copy_file(source_dir / "spiece.model", dir / "spiece.model",
                               std::filesystem::copy_options::overwrite_existing, error);
    GS_CHECK(!error, "cannot copy spiece.model into " << dir.string() << ": " << error.message());
  }
}

}  // namespace gs
