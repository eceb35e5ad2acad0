// HfCheckpointWriter: streams a model into a Hugging Face checkpoint directory
// (config.json and model.safetensors) one tensor at a time.
//
// Every tensor name, shape and dtype follows from the config, so the safetensors
// header goes out first and the tensors follow in model_weights() order, each
// permuted to HF's half-split rotary layout and converted to the file's dtype as
// it is written. A writer (a converter, a test) holds at most one tensor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/dtype.h"
#include "engine/checkpoint/safetensors_writer.h"
#include "engine/checkpoint/weight_inventory.h"
#include "engine/model_config.h"

namespace gs {

class HfCheckpointWriter {
 public:
  // Checks the config can be expressed as config.json, creates dir if needed and
  // starts model.safetensors in it, replacing any file of that name. config.json
  // is written by finish(), so a directory left by a failed write does not look
  // like a checkpoint.
  HfCheckpointWriter(const std::filesystem::path& dir, const ModelConfig& config, DType dtype);

  // The tensors write_next() expects, in order.
  const std::vector<WeightId>& tensors() const { return ids_; }
  // Tensor bytes in the file: all of them, and those written so far.
  std::uint64_t total_bytes() const { return total_bytes_; }
  std::uint64_t written_bytes() const { return written_bytes_; }

  // The next tensor of tensors(), shaped as expected_shape(), as f32 values whose
  // rotary rows (if any) are in `layout`.
  void write_next(std::span<const float> values, RotaryLayout layout);
  // Checks every tensor was written, closes the file and writes config.json.
  void finish();

 private:
  std::filesystem::path dir_;
  ModelConfig config_;
  std::string config_json_;  // config.json's text, made up front so a bad config fails early
  DType dtype_;
  std::vector<WeightId> ids_;
  std::uint64_t total_bytes_ = 0;
  std::uint64_t written_bytes_ = 0;
  std::size_t next_ = 0;
  std::optional<SafetensorsWriter> file_;
  std::vector<std::byte> bytes_;  // the tensor being written, in the file's dtype
};

}  // namespace gs
