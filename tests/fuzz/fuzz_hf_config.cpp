// Hugging Face config.json, every architecture the engine reads (llama, mistral,
// qwen2): a config accepted must also write back and read again unchanged.
#include <nlohmann/json.hpp>

#include "engine/model_config.h"
#include "tests/fuzz/expected_errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Invalid JSON is the JSON library's business (the reader wraps its error).
  const nlohmann::json config = nlohmann::json::parse(data, data + size, nullptr, false);
  if (config.is_discarded()) return 0;
  gs::fuzz::expect_only_gs_errors([&] {
    const gs::ModelConfig c = gs::model_config_from_hf_json(config, "fuzz config.json");
    c.shape();
    // A converted checkpoint carries the config it was read from.
    const gs::ModelConfig again =
        gs::model_config_from_hf_json(gs::model_config_to_hf_json(c), "written config.json");
    if (again.dim != c.dim || again.n_heads != c.n_heads || again.n_kv_heads != c.n_kv_heads ||
        again.head_dim != c.head_dim || again.max_seq_len != c.max_seq_len ||
        again.eos_ids != c.eos_ids || again.tied_embeddings != c.tied_embeddings) {
      std::fprintf(stderr, "fuzz: config.json does not survive writing and reading back\n");
      std::abort();
    }
  });
  return 0;
}
