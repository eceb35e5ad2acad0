// T5Checkpoint: a Hugging Face T5ForConditionalGeneration directory (config.json
// plus model.safetensors or model.safetensors.index.json), mapped, with every
// tensor the config implies checked for presence and shape up front. The tied
// embedding may be stored as shared.weight or as encoder/decoder.embed_tokens.weight;
// tensors HF ignores on load are ignored here too.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/checkpoint/safetensors_shards.h"
#include "engine/checkpoint/weight_source.h"
#include "engine/t5/t5_config.h"

namespace gs {

class T5Checkpoint {
 public:
  explicit T5Checkpoint(const std::filesystem::path& dir);

  const T5Config& config() const { return config_; }
  std::string describe() const { return "T5 checkpoint " + dir_.string(); }

  // The token embedding (vocab, d_model), whichever name holds it.
  const TensorView& embedding() const { return embedding_; }
  // A tensor by its HF name; checked at open.
  const TensorView& tensor(const std::string& name) const;

  // HF names, for "encoder" or "decoder" stacks.
  static std::string attention_name(const std::string& stack, int layer, bool cross, const std::string& proj);
  static std::string norm_name(const std::string& stack, int layer, int sublayer);
  static std::string ffn_name(const std::string& stack, int layer, const std::string& proj);
  static std::string relative_bias_name(const std::string& stack);

 private:
  void require(const std::string& name, std::vector<std::int64_t> shape);

  std::filesystem::path dir_;
  T5Config config_;
  SafetensorsShards shards_;
  TensorView embedding_;
  std::map<std::string, TensorView> views_;
};

// Whether `path` is a directory whose config.json describes a T5 model.
bool is_t5_checkpoint(const std::filesystem::path& path);

}  // namespace gs
