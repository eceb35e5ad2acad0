#include "engine/checkpoint/weight_source.h"

#include <fstream>

#include "engine/checkpoint/hf_checkpoint.h"
#include "engine/checkpoint/llama2c_reader.h"
#include "common/check.h"

namespace gs {

std::string weight_kind_name(WeightKind kind) {
  switch (kind) {
    case WeightKind::token_embedding:
      return "token_embedding";
    case WeightKind::attn_norm:
      return "attn_norm";
    case WeightKind::wq:
      return "wq";
    case WeightKind::wk:
      return "wk";
    case WeightKind::wv:
      return "wv";
    case WeightKind::wo:
      return "wo";
    case WeightKind::bq:
      return "bq";
    case WeightKind::bk:
      return "bk";
    case WeightKind::bv:
      return "bv";
    case WeightKind::ffn_norm:
      return "ffn_norm";
    case WeightKind::w_gate:
      return "w_gate";
    case WeightKind::w_down:
      return "w_down";
    case WeightKind::w_up:
      return "w_up";
    case WeightKind::final_norm:
      return "final_norm";
    case WeightKind::lm_head:
      return "lm_head";
  }
  GS_FAIL("weight_kind_name: invalid WeightKind " << static_cast<int>(kind));
}

bool weight_kind_is_per_layer(WeightKind kind) {
  return kind != WeightKind::token_embedding && kind != WeightKind::final_norm &&
         kind != WeightKind::lm_head;
}

std::vector<std::int64_t> expected_shape(const ModelConfig& config, WeightKind kind) {
  const std::int64_t dim = config.dim, ffn = config.ffn_dim, vocab = config.vocab_size;
  const std::int64_t q_rows = std::int64_t{config.n_heads} * config.head_dim;
  const std::int64_t kv_rows = std::int64_t{config.n_kv_heads} * config.head_dim;
  switch (kind) {
    case WeightKind::token_embedding:
      return {vocab, dim};
    case WeightKind::attn_norm:
      return {dim};
    case WeightKind::wq:
      return {q_rows, dim};
    case WeightKind::wk:
      return {kv_rows, dim};
    case WeightKind::wv:
      return {kv_rows, dim};
    case WeightKind::wo:
      return {dim, q_rows};
    case WeightKind::bq:
      return {q_rows};
    case WeightKind::bk:
      return {kv_rows};
    case WeightKind::bv:
      return {kv_rows};
    case WeightKind::ffn_norm:
      return {dim};
    case WeightKind::w_gate:
      return {ffn, dim};
    case WeightKind::w_down:
      return {dim, ffn};
    case WeightKind::w_up:
      return {ffn, dim};
    case WeightKind::final_norm:
      return {dim};
    case WeightKind::lm_head:
      return {vocab, dim};
  }
  GS_FAIL("expected_shape: invalid WeightKind " << static_cast<int>(kind));
}

void read_row_f32(const TensorView& tensor, std::int64_t row, std::int64_t col_begin,
                  std::int64_t col_end, float* out) {
  GS_CHECK(tensor.shape.size() == 1 || tensor.shape.size() == 2,
           "tensor " << tensor.name << ": read_row_f32 needs a 1-D or 2-D tensor, got "
                     << tensor.shape.size() << " dimensions");
  // A 1-D tensor is one row of shape[0] elements.
  const std::int64_t rows = tensor.shape.size() == 1 ? 1 : tensor.shape[0];
  const std::int64_t cols = tensor.shape.back();
  GS_CHECK(row >= 0 && row < rows,
           "tensor " << tensor.name << ": row " << row << " is outside [0, " << rows << ")");
  GS_CHECK(col_begin >= 0 && col_begin <= col_end && col_end <= cols,
           "tensor " << tensor.name << ": columns [" << col_begin << ", " << col_end
                     << ") are outside [0, " << cols << ")");
  if (col_begin == col_end) return;
  GS_CHECK(tensor.data, "tensor " << tensor.name << ": has no data");
  const std::size_t element = dtype_size(tensor.dtype);
  const std::byte* start = tensor.data + static_cast<std::size_t>(row * cols + col_begin) * element;
  convert_to_f32(start, tensor.dtype, static_cast<std::size_t>(col_end - col_begin), out);
}

namespace {

constexpr const char* kExpected =
    "expected a llama2.c .bin file or a Hugging Face checkpoint directory with config.json";

bool starts_with_gguf_magic(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::string(magic, 4) == "GGUF";
}

}  // namespace

std::unique_ptr<WeightSource> open_checkpoint(const std::filesystem::path& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  GS_CHECK(std::filesystem::exists(status),
           path.string() << ": "
                         << (status.type() == std::filesystem::file_type::not_found
                                 ? "no such file or directory"
                                 : error.message())
                         << " (" << kExpected << ")");
  if (std::filesystem::is_directory(status)) {
    GS_CHECK(std::filesystem::exists(path / "config.json"),
             path.string() << ": directory has no config.json (" << kExpected << ")");
    return open_hf_checkpoint(path);
  }
  GS_CHECK(std::filesystem::is_regular_file(status),
           path.string() << ": not a regular file or directory (" << kExpected << ")");
  GS_CHECK(path.extension() != ".gguf" && !starts_with_gguf_magic(path),
           path.string() << ": GGUF is not supported yet (" << kExpected << ")");
  GS_CHECK(path.extension() != ".safetensors" && path.filename() != "config.json",
           path.string() << ": pass the Hugging Face checkpoint directory, not a file inside it");
  return open_llama2c_checkpoint(path);
}

}  // namespace gs
