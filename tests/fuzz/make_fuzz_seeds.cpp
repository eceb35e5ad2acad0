// make_fuzz_seeds SHARED_MODELS OUT: seed corpora for the fuzz targets that need
// writing (safetensors files, config.json per architecture, llama2.c checkpoints),
// built from the real models in ../shared/models. Small on purpose: libFuzzer
// mutates small inputs far faster, and every field of the real headers is kept.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "engine/checkpoint/dense_weights.h"
#include "common/dtype.h"
#include "engine/checkpoint/llama2c_reader.h"
#include "engine/checkpoint/safetensors_writer.h"
#include "engine/model_config.h"
#include "engine/t5/t5_random_checkpoint.h"
#include "common/check.h"

namespace fs = std::filesystem;

namespace {

void write_bytes(const fs::path& path, const void* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  GS_CHECK(out, "cannot write " << path);
}

// A few of the real model's tensors, in each dtype the reader accepts.
void safetensors_seeds(const gs::WeightSource& model, const std::string& name, const fs::path& out) {
  const gs::TensorView norm = model.tensor(gs::WeightKind::final_norm, -1);
  const gs::TensorView wk = model.tensor(gs::WeightKind::wk, 0);
  const std::int64_t dim = norm.shape[0], rows = std::min<std::int64_t>(wk.shape[0], 4);
  for (gs::DType dtype : {gs::DType::f32, gs::DType::f16, gs::DType::bf16}) {
    std::vector<gs::SafetensorsEntry> entries = {{"model.norm.weight", dtype, {dim}},
                                                 {"model.layers.0.self_attn.k_proj.weight", dtype, {rows, dim}}};
    gs::SafetensorsWriter writer(out / (name + "_" + gs::safetensors_dtype_name(dtype) + ".safetensors"), entries,
                                 {{"format", "pt"}});
    for (const auto& [view, count] : {std::pair{norm, dim}, std::pair{wk, rows * dim}}) {
      std::vector<std::byte> bytes(count * gs::dtype_size(dtype));
      gs::convert_from_f32(reinterpret_cast<const float*>(view.data), count, dtype, bytes.data());
      writer.write_next(bytes);
    }
    writer.finish();
  }
}

// The model's config as each architecture would write it.
void config_seeds(gs::ModelConfig c, const std::string& name, const fs::path& out) {
  auto write = [&](const gs::ModelConfig& config, const std::string& suffix, nlohmann::json extra) {
    nlohmann::json j = gs::model_config_to_hf_json(config);
    j.update(extra);
    const std::string text = j.dump(2);
    write_bytes(out / (name + "_" + suffix + ".json"), text.data(), text.size());
  };
  write(c, "llama", nlohmann::json::object());
  gs::ModelConfig scaled = c;
  scaled.rope_scaling = gs::Llama3RopeScaling{};
  write(scaled, "llama31", {{"eos_token_id", {2, 3}}});
  gs::ModelConfig mistral = c;
  mistral.architecture = "mistral";
  write(mistral, "mistral", {{"sliding_window", c.max_seq_len / 2}});
  gs::ModelConfig qwen = c;
  qwen.architecture = "qwen2";
  qwen.qkv_bias = true;
  write(qwen, "qwen2", {{"use_sliding_window", true}, {"sliding_window", c.max_seq_len / 2}});
}

// The real header as found, and a whole checkpoint of one layer built from the
// model's first floats (tied and untied), so the fuzzer starts from valid files.
void llama2c_seeds(const fs::path& model, const std::string& name, const fs::path& out) {
  std::ifstream in(model, std::ios::binary);
  std::int32_t header[7];
  in.read(reinterpret_cast<char*>(header), sizeof header);
  GS_CHECK(in, "cannot read " << model);
  write_bytes(out / (name + "_header.bin"), header, sizeof header);

  for (const bool tied : {true, false}) {
    // dim 8, hidden 16, 1 layer, 2 heads, 1 KV head, vocab 8, seq_len 4.
    const std::int32_t small[7] = {8, 16, 1, 2, 1, tied ? 8 : -8, 4};
    const int head_dim = 4, kv_dim = 4;
    const std::size_t floats = 8 * 8 + 8 + 8 * 8 + kv_dim * 8 * 2 + 8 * 8 + 8 + 16 * 8 * 3 + 8 +
                               2 * 4 * head_dim / 2 + (tied ? 0 : 8 * 8);
    std::vector<float> weights(floats);
    in.read(reinterpret_cast<char*>(weights.data()), static_cast<std::streamsize>(floats * sizeof(float)));
    std::vector<char> file(sizeof small + floats * sizeof(float));
    std::memcpy(file.data(), small, sizeof small);
    std::memcpy(file.data() + sizeof small, weights.data(), floats * sizeof(float));
    write_bytes(out / (name + (tied ? "_tiny_tied.bin" : "_tiny_untied.bin")), file.data(), file.size());
  }
}

// A Hugging Face folder packed as fuzz_hf_checkpoint.cpp reads it.
void write_packed_folder(const fs::path& dir, const fs::path& out) {
  std::ifstream config(dir / "config.json", std::ios::binary), weights(dir / "model.safetensors", std::ios::binary);
  std::ostringstream config_text, weight_bytes;
  config_text << config.rdbuf();
  weight_bytes << weights.rdbuf();
  const std::uint32_t config_size = static_cast<std::uint32_t>(config_text.str().size());
  const std::string packed =
      std::string(reinterpret_cast<const char*>(&config_size), sizeof config_size) + config_text.str() + weight_bytes.str();
  write_bytes(out, packed.data(), packed.size());
  fs::remove_all(dir);
}

// Whole Hugging Face folders of a tiny random model per architecture (Llama family
// and T5): a real model's tensors exceed the inputs libFuzzer mutates well, and
// its config is seeded for hf_config above.
void hf_checkpoint_seeds(const fs::path& out) {
  for (const char* architecture : {"llama", "mistral", "qwen2"}) {
    gs::ModelConfig c;
    c.architecture = architecture;
    c.qkv_bias = c.architecture == "qwen2";
    c.tied_embeddings = c.architecture == "llama";
    c.dim = 8, c.ffn_dim = 12, c.n_layers = 1, c.n_heads = 2, c.n_kv_heads = 1, c.head_dim = 4;
    c.vocab_size = 8, c.max_seq_len = 16;
    const fs::path dir = out / ("folder_" + c.architecture);
    gs::write_hf_checkpoint(gs::random_dense_weights(c, 1), dir, gs::DType::bf16);
    write_packed_folder(dir, out / (c.architecture + ".bin"));
  }
  const fs::path t5_dir = out / "folder_t5";
  fs::create_directories(t5_dir);
  gs::write_random_t5_checkpoint(gs::parse_t5_random_shape("t5:h=2,g=1,d=4,enc_layers=1,dec_layers=1,ffn=8,vocab=8,"
                                                           "buckets=4"),
                                 16, 1, t5_dir);
  write_packed_folder(t5_dir, out / "t5.bin");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_fuzz_seeds SHARED_MODELS OUT\n");
    return 2;
  }
  const fs::path models = argv[1], out = argv[2];
  try {
    for (const char* dir : {"safetensors", "hf_config", "hf_checkpoint", "llama2c_checkpoint"})
      fs::create_directories(out / dir);
    hf_checkpoint_seeds(out / "hf_checkpoint");
    const std::pair<const char*, const char*> real[] = {{"stories260K", "stories260K/stories260K.bin"},
                                                        {"random-h8g2", "random-h8g2/model.bin"},
                                                        {"tinystories-mha-1m", "tinystories-mha-1m/model.bin"}};
    for (const auto& [name, file] : real) {
      const auto model = gs::open_llama2c_checkpoint(models / file);
      safetensors_seeds(*model, name, out / "safetensors");
      config_seeds(model->config(), name, out / "hf_config");
      llama2c_seeds(models / file, name, out / "llama2c_checkpoint");
    }
  } catch (const gs::Error& e) {
    std::fprintf(stderr, "make_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
