// The model families the engine runs, one entry (and one folder or file) each:
// how a family's checkpoints are recognised, and what it is. The launcher asks
// model_family_of() for a checkpoint and builds that family's Model; the executor,
// generator, evaluation and bench see only the Model interface (engine/model.h).
//
// Adding a family: its config and checkpoint reader and its Model in its own files
// (engine/t5/ is the example), an entry in model_families(), and a builder in launch/.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gs {

enum class ModelFamily {
  llama,  // decoder-only: Llama 2/3, Mistral, Qwen2, llama2.c (engine/llama_model.h)
  t5,     // encoder-decoder: T5 v1.0, T5.1.1, flan-t5, GQA decoder (engine/t5/)
};

struct ModelFamilyInfo {
  ModelFamily family;
  std::string name;
  std::string description;
  // Whether a checkpoint path is this family's (cheap: reads config.json at most).
  bool (*recognises)(const std::filesystem::path& checkpoint);
};

// Every family, most specific first; the last (llama) takes whatever no other claims.
const std::vector<ModelFamilyInfo>& model_families();

// The family of the checkpoint at path (file or directory).
ModelFamily model_family_of(const std::filesystem::path& checkpoint);
std::string model_family_name(ModelFamily family);

}  // namespace gs
