// A Hugging Face checkpoint folder: config.json read against model.safetensors
// (every tensor the config implies present, with its shape), by the reader of the
// family the registry recognises (T5 or Llama); an accepted folder's tensor views
// must lie inside its file.
// Input: uint32 length N, N bytes of config.json, then model.safetensors.
#include <cstring>

#include "engine/checkpoint/hf_checkpoint.h"
#include "engine/checkpoint/weight_inventory.h"
#include "engine/model_family.h"
#include "engine/t5/t5_checkpoint.h"
#include "tests/fuzz/expected_errors.h"
#include "tests/fuzz/input_file.h"
#include "tests/fuzz/touch_view.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint32_t config_size;
  if (size < sizeof config_size) return 0;
  std::memcpy(&config_size, data, sizeof config_size);
  data += sizeof config_size;
  size -= sizeof config_size;
  if (config_size > size) return 0;
  gs::fuzz::write_file(gs::fuzz::scratch_dir() / "config.json", data, config_size);
  gs::fuzz::write_file(gs::fuzz::scratch_dir() / "model.safetensors", data + config_size, size - config_size);
  gs::fuzz::expect_only_gs_errors([&] {
    if (gs::model_family_of(gs::fuzz::scratch_dir()) == gs::ModelFamily::t5) {
      const gs::T5Checkpoint t5(gs::fuzz::scratch_dir());
      gs::fuzz::touch_view(t5.embedding());
      for (const std::string stack : {"encoder", "decoder"}) {
        gs::fuzz::touch_view(t5.tensor(gs::T5Checkpoint::relative_bias_name(stack)));
        gs::fuzz::touch_view(t5.tensor(stack + ".final_layer_norm.weight"));
      }
      return;
    }
    const auto source = gs::open_hf_checkpoint(gs::fuzz::scratch_dir());
    for (const gs::WeightId& id : gs::model_weights(source->config()))
      gs::fuzz::touch_view(source->tensor(id.kind, id.layer));
  });
  return 0;
}
