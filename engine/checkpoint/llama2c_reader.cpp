#include "engine/checkpoint/llama2c_reader.h"

#include <climits>
#include <cstring>
#include <map>
#include <sstream>

#include "engine/checkpoint/mapped_file.h"
#include "engine/checkpoint/weight_inventory.h"
#include "common/check.h"

namespace gs {

namespace {

constexpr std::int64_t kHeaderBytes = 7 * sizeof(std::int32_t);

struct Header {
  std::int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;

  std::string describe() const {
    std::ostringstream out;
    out << "dim " << dim << ", hidden_dim " << hidden_dim << ", n_layers " << n_layers
        << ", n_heads " << n_heads << ", n_kv_heads " << n_kv_heads << ", vocab_size " << vocab_size
        << ", seq_len " << seq_len;
    return out.str();
  }
};

// The tensors in file order, skipping the RoPE tables (the engine computes its own).
constexpr WeightKind kFileOrder[] = {WeightKind::token_embedding,
                                     WeightKind::attn_norm,
                                     WeightKind::wq,
                                     WeightKind::wk,
                                     WeightKind::wv,
                                     WeightKind::wo,
                                     WeightKind::ffn_norm,
                                     WeightKind::w_gate,
                                     WeightKind::w_down,
                                     WeightKind::w_up,
                                     WeightKind::final_norm};

// run.c's names, so messages match what users of llama2.c know.
std::string llama2c_name(WeightKind kind, int layer) {
  std::string name;
  switch (kind) {
    case WeightKind::token_embedding:
      return "token_embedding_table";
    case WeightKind::final_norm:
      return "rms_final_weight";
    case WeightKind::lm_head:
      return "wcls";
    case WeightKind::attn_norm:
      name = "rms_att_weight";
      break;
    case WeightKind::ffn_norm:
      name = "rms_ffn_weight";
      break;
    case WeightKind::w_gate:
      name = "w1";
      break;
    case WeightKind::w_down:
      name = "w2";
      break;
    case WeightKind::w_up:
      name = "w3";
      break;
    default:
      name = weight_kind_name(kind);
      break;
  }
  return name + "[" + std::to_string(layer) + "]";
}

class Llama2cCheckpoint : public WeightSource {
 public:
  explicit Llama2cCheckpoint(const std::filesystem::path& path) : file_(path) {
    const std::string where = path.string();
    GS_CHECK(file_.size() >= static_cast<std::size_t>(kHeaderBytes),
             where << ": too small for a llama2.c checkpoint: " << file_.size()
                   << " bytes, the header alone is " << kHeaderBytes);
    Header h;
    std::memcpy(&h, file_.data(), kHeaderBytes);
    validate_header(h, where);

    ModelConfig& c = config_;
    c.architecture = "llama";
    c.dim = h.dim;
    c.ffn_dim = h.hidden_dim;
    c.n_layers = h.n_layers;
    c.n_heads = h.n_heads;
    c.n_kv_heads = h.n_kv_heads;
    c.head_dim = h.dim / h.n_heads;
    c.vocab_size = h.vocab_size < 0 ? -h.vocab_size : h.vocab_size;
    c.tied_embeddings = h.vocab_size > 0;
    c.max_seq_len = h.seq_len;
    c.rope_theta = 10000.0;
    c.norm_eps = 1e-5f;
    c.bos_id = 1;
    c.eos_ids = {2};
    c.validate(where);

    // Offsets in floats from the end of the header. Header values are positive
    // int32, but a lying header can still overflow products of three of them.
    auto overflow = [&] {
      GS_FAIL(where << ": the header (" << h.describe() << ") implies a size beyond 2^63 bytes");
    };
    auto mul = [&](std::int64_t a, std::int64_t b) {
      std::int64_t r;
      if (__builtin_mul_overflow(a, b, &r)) overflow();
      return r;
    };
    auto add = [&](std::int64_t a, std::int64_t b) {
      std::int64_t r;
      if (__builtin_add_overflow(a, b, &r)) overflow();
      return r;
    };
    auto count = [&](WeightKind kind) {
      std::int64_t n = 1;
      for (std::int64_t extent : expected_shape(c, kind)) n = mul(n, extent);
      return weight_kind_is_per_layer(kind) ? mul(n, c.n_layers) : n;
    };
    std::int64_t floats = 0;
    for (WeightKind kind : kFileOrder) {
      offset_[kind] = floats;
      floats = add(floats, count(kind));
    }
    floats = add(floats,
                 mul(2 * std::int64_t{h.seq_len}, c.head_dim / 2));  // freq_cis_real, freq_cis_imag
    if (!c.tied_embeddings) {
      offset_[WeightKind::lm_head] = floats;
      floats = add(floats, count(WeightKind::lm_head));
    }
    const std::int64_t expected = add(mul(floats, sizeof(float)), kHeaderBytes);
    const auto actual = static_cast<std::int64_t>(file_.size());
    GS_CHECK(actual >= expected, where << ": truncated: the header (" << h.describe()
                                       << ") implies " << expected << " bytes but the file has "
                                       << actual << " bytes");
    GS_CHECK(actual == expected, where << ": " << actual - expected << " extra bytes: the header ("
                                       << h.describe() << ") implies " << expected
                                       << " bytes but the file has " << actual
                                       << " bytes, so the header does not describe this file");
  }

  const ModelConfig& config() const override { return config_; }
  RotaryLayout rotary_layout() const override { return RotaryLayout::interleaved; }
  std::string describe() const override { return "llama2.c checkpoint " + file_.path().string(); }

  TensorView tensor(WeightKind kind, int layer) const override {
    check_weight_request(config_, kind, layer, describe());
    TensorView view;
    view.name = llama2c_name(kind, layer);
    view.dtype = DType::f32;
    view.shape = expected_shape(config_, kind);
    std::int64_t elements = 1;
    for (std::int64_t extent : view.shape) elements *= extent;
    const std::int64_t offset = offset_.at(kind) + std::max(layer, 0) * elements;
    view.data = file_.data() + kHeaderBytes + offset * static_cast<std::int64_t>(sizeof(float));
    return view;
  }

 private:
  static void validate_header(const Header& h, const std::string& where) {
    auto positive = [&](std::int32_t value, const char* field) {
      GS_CHECK(value > 0, where << ": header " << field << " must be positive, got " << value
                                << " (header: " << h.describe() << ")");
    };
    positive(h.dim, "dim");
    positive(h.hidden_dim, "hidden_dim");
    positive(h.n_layers, "n_layers");
    positive(h.n_heads, "n_heads");
    positive(h.n_kv_heads, "n_kv_heads");
    positive(h.seq_len, "seq_len");
    GS_CHECK(h.vocab_size != 0 && h.vocab_size != INT_MIN,
             where << ": header vocab_size " << h.vocab_size << " is not a vocabulary size");
    GS_CHECK(h.dim % h.n_heads == 0,
             where << ": header dim " << h.dim << " is not a multiple of n_heads " << h.n_heads);
    GS_CHECK(h.n_heads % h.n_kv_heads == 0,
             where << ": header n_heads " << h.n_heads << " is not a multiple of n_kv_heads "
                   << h.n_kv_heads << " (query heads must split evenly into KV groups)");
    GS_CHECK((h.dim / h.n_heads) % 2 == 0, where
                                               << ": header implies head_dim " << h.dim / h.n_heads
                                               << " (dim / n_heads), which must be even for RoPE");
  }

  MappedFile file_;
  ModelConfig config_;
  std::map<WeightKind, std::int64_t> offset_;  // floats after the header, layer 0
};

}  // namespace

std::unique_ptr<WeightSource> open_llama2c_checkpoint(const std::filesystem::path& path) {
  return std::make_unique<Llama2cCheckpoint>(path);
}

}  // namespace gs
