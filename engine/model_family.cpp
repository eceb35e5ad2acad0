#include "engine/model_family.h"

#include "engine/t5/t5_checkpoint.h"
#include "common/check.h"

namespace gs {

const std::vector<ModelFamilyInfo>& model_families() {
  static const std::vector<ModelFamilyInfo> families = {
      {ModelFamily::t5, "t5", "T5 encoder-decoder (v1.0, T5.1.1, flan-t5; GQA in the decoder)", &is_t5_checkpoint},
      {ModelFamily::llama, "llama", "decoder-only Llama family (Llama 2/3, Mistral, Qwen2, llama2.c)",
       [](const std::filesystem::path&) { return true; }},
  };
  return families;
}

ModelFamily model_family_of(const std::filesystem::path& checkpoint) {
  for (const ModelFamilyInfo& f : model_families())
    if (f.recognises(checkpoint)) return f.family;
  return ModelFamily::llama;
}

std::string model_family_name(ModelFamily family) {
  for (const ModelFamilyInfo& f : model_families())
    if (f.family == family) return f.name;
  GS_FAIL("unknown model family " << static_cast<int>(family));
}

}  // namespace gs
