// Hugging Face config.json, every architecture the engine reads, chosen as the
// model-family registry chooses: T5 (t5, T5.1.1, flan-t5, with the GQA field)
// when the config says so, else the Llama family (llama, mistral, qwen2). A Llama
// config accepted must also write back and read again unchanged; a T5 config
// accepted must give the plan's shapes.
#include <nlohmann/json.hpp>

#include "engine/model_config.h"
#include "engine/t5/t5_config.h"
#include "tests/fuzz/expected_errors.h"

namespace {

void read_llama(const nlohmann::json& config) {
  const gs::ModelConfig c = gs::model_config_from_hf_json(config, "fuzz config.json");
  c.shape();
  // A converted checkpoint carries the config it was read from.
  const gs::ModelConfig again = gs::model_config_from_hf_json(gs::model_config_to_hf_json(c), "written config.json");
  if (again.dim != c.dim || again.n_heads != c.n_heads || again.n_kv_heads != c.n_kv_heads ||
      again.head_dim != c.head_dim || again.max_seq_len != c.max_seq_len || again.eos_ids != c.eos_ids ||
      again.tied_embeddings != c.tied_embeddings) {
    std::fprintf(stderr, "fuzz: config.json does not survive writing and reading back\n");
    std::abort();
  }
}

void read_t5(const nlohmann::json& config) {
  const gs::T5Config c = gs::t5_config_from_hf_json(config, "fuzz config.json");
  const gs::ModelShape encoder = c.encoder_shape();
  const gs::ModelShape decoder = c.decoder_shape();
  c.decoder_config();
  // The plan deals whole KV groups: G must divide H in the decoder, H = G in the encoder.
  if (decoder.n_kv_heads <= 0 || decoder.n_heads % decoder.n_kv_heads != 0 ||
      encoder.n_kv_heads != encoder.n_heads) {
    std::fprintf(stderr, "fuzz: accepted T5 config gives heads H=%d, G=%d\n", decoder.n_heads, decoder.n_kv_heads);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Invalid JSON is the JSON library's business (the reader wraps its error).
  const nlohmann::json config = nlohmann::json::parse(data, data + size, nullptr, false);
  if (config.is_discarded()) return 0;
  gs::fuzz::expect_only_gs_errors([&] {
    if (gs::is_t5_hf_config(config))
      read_t5(config);
    else
      read_llama(config);
  });
  return 0;
}
