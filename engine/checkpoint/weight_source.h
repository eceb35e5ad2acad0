// WeightSource: a checkpoint opened for reading, whatever its format.
//
// A source maps its file(s) and hands out views of whole tensors; nothing is
// copied until the weight loader copies the slices its ShardPlan owns, so a rank
// pays resident memory only for its slice. Views stay valid while the source lives.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/dtype.h"
#include "engine/model_config.h"

namespace gs {

// The tensors of a Llama-family model, by role. Shapes (rows, cols), row-major:
enum class WeightKind {
  token_embedding,  // (vocab, dim)
  attn_norm,        // (dim)            per layer
  wq,               // (H*d, dim)       per layer
  wk,               // (G*d, dim)       per layer
  wv,               // (G*d, dim)       per layer
  wo,               // (dim, H*d)       per layer
  bq,               // (H*d)            per layer, only if qkv_bias
  bk,               // (G*d)            per layer, only if qkv_bias
  bv,               // (G*d)            per layer, only if qkv_bias
  ffn_norm,         // (dim)            per layer
  w_gate,           // (ffn, dim)       per layer (llama2.c w1)
  w_down,           // (dim, ffn)       per layer (llama2.c w2)
  w_up,             // (ffn, dim)       per layer (llama2.c w3)
  final_norm,       // (dim)
  lm_head,          // (vocab, dim)     only if not tied_embeddings
};

std::string weight_kind_name(WeightKind kind);
bool weight_kind_is_per_layer(WeightKind kind);
// The shape the config implies for this tensor (1-D tensors have one entry).
std::vector<std::int64_t> expected_shape(const ModelConfig& config, WeightKind kind);

// How the rows of wq/wk (and bq/bk) order each head's rotary pairs.
enum class RotaryLayout {
  interleaved,  // llama2.c and Meta: pairs (2i, 2i+1); the engine's own layout
  half_split,   // Hugging Face after its conversion permutation: pairs (i, i + d/2)
};

struct TensorView {
  std::string name;                  // the checkpoint's own name, for messages
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  const std::byte* data = nullptr;   // shape product * dtype_size bytes

  std::int64_t rows() const { return shape.empty() ? 0 : shape[0]; }
  std::int64_t cols() const { return shape.size() < 2 ? 1 : shape[1]; }
};

// Copies elements [col_begin, col_end) of row `row` of a 1-D or 2-D tensor into out
// as f32 (a 1-D tensor is one row).
void read_row_f32(const TensorView& tensor, std::int64_t row, std::int64_t col_begin,
                  std::int64_t col_end, float* out);

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual const ModelConfig& config() const = 0;
  virtual RotaryLayout rotary_layout() const = 0;
  // "llama2.c checkpoint model.bin", for messages.
  virtual std::string describe() const = 0;
  // The tensor, checked against expected_shape(); throws gs::Error naming the
  // tensor and the checkpoint if it is missing, misshapen or out of the file.
  virtual TensorView tensor(WeightKind kind, int layer = -1) const = 0;
};

// Opens a llama2.c .bin file or a Hugging Face directory (config.json plus
// model.safetensors or model.safetensors.index.json). Throws gs::Error naming the
// path for anything else.
std::unique_ptr<WeightSource> open_checkpoint(const std::filesystem::path& path);

}  // namespace gs
