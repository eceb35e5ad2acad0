// A Hugging Face checkpoint folder: config.json read against model.safetensors
// (every tensor the config implies present, with its shape), by the reader of the
// family the registry recognises (T5 or Llama); an accepted folder's tensor views
// must lie inside its file.
// Input: uint32 length N, N bytes of config.json, then model.safetensors.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/checkpoint/hf_checkpoint.h"
#include "engine/checkpoint/weight_inventory.h"
#include "engine/model_family.h"
#include "engine/t5/t5_checkpoint.h"
#include "tests/fuzz/expected_errors.h"
#include "tests/fuzz/touch_view.h"

namespace {

namespace fs = std::filesystem;

const fs::path& checkpoint_dir() {
  static const fs::path dir = [] {
    fs::path path = fs::temp_directory_path() / ("fuzz_hf_checkpoint-" + std::to_string(getpid()));
    fs::create_directories(path);
    std::atexit([] { fs::remove_all(checkpoint_dir()); });
    return path;
  }();
  return dir;
}

void write(const fs::path& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint32_t config_size;
  if (size < sizeof config_size) return 0;
  std::memcpy(&config_size, data, sizeof config_size);
  data += sizeof config_size;
  size -= sizeof config_size;
  if (config_size > size) return 0;
  write(checkpoint_dir() / "config.json", data, config_size);
  write(checkpoint_dir() / "model.safetensors", data + config_size, size - config_size);
  gs::fuzz::expect_only_gs_errors([&] {
    if (gs::model_family_of(checkpoint_dir()) == gs::ModelFamily::t5) {
      const gs::T5Checkpoint t5(checkpoint_dir());
      gs::fuzz::touch_view(t5.embedding());
      for (const std::string stack : {"encoder", "decoder"}) {
        gs::fuzz::touch_view(t5.tensor(gs::T5Checkpoint::relative_bias_name(stack)));
        gs::fuzz::touch_view(t5.tensor(stack + ".final_layer_norm.weight"));
      }
      return;
    }
    const auto source = gs::open_hf_checkpoint(checkpoint_dir());
    for (const gs::WeightId& id : gs::model_weights(source->config()))
      gs::fuzz::touch_view(source->tensor(id.kind, id.layer));
  });
  return 0;
}
