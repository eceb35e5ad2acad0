// Writes the malformed checkpoints the CLI tests feed to groupshard, into the
// folder given as argv[1]: each is a valid random checkpoint with one defect.
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "engine/checkpoint/dense_weights.h"

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_all(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Rewrites model.safetensors in dir with its JSON header passed through edit.
template <typename Edit>
void edit_safetensors_header(const fs::path& dir, Edit edit) {
  const std::string file = read_all(dir / "model.safetensors");
  std::uint64_t length = 0;
  std::memcpy(&length, file.data(), 8);
  std::string header = edit(file.substr(8, length));
  const std::uint64_t new_length = header.size();
  std::string out(reinterpret_cast<const char*>(&new_length), 8);
  write_all(dir / "model.safetensors", out + header + file.substr(8 + length));
}

// dim 16384, hidden 65536, 100 layers, 128 heads, 8 KV heads, vocab 32000 (tied),
// seq_len 2048: the header, then holes up to the size it implies (llama2c_reader.h).
void write_huge_llama2c(const fs::path& path) {
  const std::int32_t header[7] = {16384, 65536, 100, 128, 8, 32000, 2048};
  const std::int64_t dim = 16384, hidden = 65536, layers = 100, kv_dim = 8 * 128, vocab = 32000, head_dim = 128;
  const std::int64_t floats = vocab * dim + layers * (2 * dim + 2 * dim * dim + 2 * kv_dim * dim + 3 * hidden * dim) +
                              dim + 2048 * head_dim;
  write_all(path, std::string(reinterpret_cast<const char*>(header), sizeof header));
  fs::resize_file(path, sizeof header + floats * sizeof(float));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_bad_checkpoints OUT_DIR\n");
    return 2;
  }
  const fs::path out = argv[1];
  fs::remove_all(out);
  fs::create_directories(out);

  gs::ModelConfig config;
  config.dim = 32;
  config.ffn_dim = 64;
  config.n_layers = 2;
  config.n_heads = 4;
  config.n_kv_heads = 2;
  config.head_dim = 8;
  config.vocab_size = 512;
  config.max_seq_len = 64;
  const gs::DenseWeights weights = gs::random_dense_weights(config, 3);

  gs::write_llama2c_checkpoint(weights, out / "good.bin");
  const std::string bin = read_all(out / "good.bin");
  write_all(out / "truncated.bin", bin.substr(0, bin.size() / 2));

  for (const char* name : {"good_hf", "not_json", "lying_offsets", "missing_field"})
    gs::write_hf_checkpoint(weights, out / name, gs::DType::f32);
  edit_safetensors_header(out / "not_json", [](std::string header) {
    header.replace(0, 12, "this is not ");
    return header;
  });
  edit_safetensors_header(out / "lying_offsets", [](const std::string& header) {
    nlohmann::json j = nlohmann::json::parse(header);
    j["model.norm.weight"]["data_offsets"][1] = std::uint64_t{1} << 40;
    return j.dump();
  });
  nlohmann::json hf_config = nlohmann::json::parse(read_all(out / "missing_field" / "config.json"));
  hf_config.erase("hidden_size");
  write_all(out / "missing_field" / "config.json", hf_config.dump(2));

  // A valid model that needs more memory than any host has: as many positions as
  // an int holds (its KV cache), and a sparse llama2.c file of 1.7 TB of weights.
  gs::write_hf_checkpoint(weights, out / "huge_context", gs::DType::f32);
  hf_config = nlohmann::json::parse(read_all(out / "huge_context" / "config.json"));
  hf_config["max_position_embeddings"] = INT32_MAX;
  write_all(out / "huge_context" / "config.json", hf_config.dump(2));
  write_huge_llama2c(out / "huge_weights.bin");
  return 0;
}
