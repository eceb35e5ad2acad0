#include "engine/checkpoint/hf_writer.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/checkpoint/hf_checkpoint.h"
#include "engine/checkpoint/rotary_rows.h"
#include "common/check.h"

namespace gs {

namespace {

std::int64_t element_count(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (std::int64_t extent : shape) n *= extent;
  return n;
}

}  // namespace

HfCheckpointWriter::HfCheckpointWriter(const std::filesystem::path& dir, const ModelConfig& config,
                                       DType dtype)
    : dir_(dir), config_(config), dtype_(dtype), ids_(model_weights(config)) {
  nlohmann::json json = model_config_to_hf_json(config_);
  json["torch_dtype"] = torch_dtype_name(dtype);
  config_json_ = json.dump(2) + "\n";
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  GS_CHECK(!error, dir.string() << ": cannot create directory: " << error.message());
  std::vector<SafetensorsEntry> entries;
  for (const WeightId& id : ids_) {
    const std::vector<std::int64_t> shape = expected_shape(config_, id.kind);
    total_bytes_ += static_cast<std::uint64_t>(element_count(shape)) * dtype_size(dtype);
    entries.push_back({hf_tensor_name(id.kind, id.layer), dtype, shape});
  }
  file_.emplace(dir / "model.safetensors", std::move(entries),
                std::map<std::string, std::string>{{"format", "pt"}});
}

void HfCheckpointWriter::write_next(std::span<const float> values, RotaryLayout layout) {
  GS_CHECK(next_ < ids_.size(), dir_.string() << ": all " << ids_.size()
                                              << " tensors are already written");
  const WeightId& id = ids_[next_];
  const std::vector<std::int64_t> shape = expected_shape(config_, id.kind);
  GS_CHECK(static_cast<std::int64_t>(values.size()) == element_count(shape),
           dir_.string() << ": " << weight_label(id.kind, id.layer) << " needs "
                         << element_count(shape) << " values for shape " << shape_string(shape)
                         << ", got " << values.size());
  std::vector<float> permuted;
  if (has_rotary_rows(id.kind) && layout != RotaryLayout::half_split) {
    permuted = permute_rotary_rows(values, config_.head_dim, shape.size() == 1 ? 1 : shape[1],
                                   layout, RotaryLayout::half_split);
    values = permuted;
  }
  bytes_.resize(values.size() * dtype_size(dtype_));
  convert_from_f32(values.data(), values.size(), dtype_, bytes_.data());
  file_->write_next(bytes_);
  written_bytes_ += bytes_.size();
  ++next_;
}

void HfCheckpointWriter::finish() {
  file_->finish();
  const std::filesystem::path path = dir_ / "config.json";
  std::ofstream out(path, std::ios::trunc);
  GS_CHECK(out, path.string() << ": cannot open for writing");
  out << config_json_;
  out.close();
  GS_CHECK(!out.fail(), path.string() << ": write failed: " << std::strerror(errno));
}

}  // namespace gs
