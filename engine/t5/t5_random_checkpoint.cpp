#include "engine/t5/t5_random_checkpoint.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/checkpoint/safetensors_writer.h"
#include "engine/t5/t5_checkpoint.h"
#include "common/check.h"

namespace gs {

namespace {

constexpr const char* kKeys = "h=, g=, d=, enc_layers=, dec_layers=, ffn=, vocab= and optionally buckets= (e.g. "
                              "t5:h=8,g=2,d=64,enc_layers=2,dec_layers=2,ffn=1024,vocab=32128)";

}  // namespace

std::string T5RandomShape::text() const {
  std::ostringstream out;
  out << "t5:h=" << h << ",g=" << g << ",d=" << d << ",enc_layers=" << enc_layers << ",dec_layers=" << dec_layers
      << ",ffn=" << ffn << ",vocab=" << vocab << ",buckets=" << buckets;
  return out.str();
}

T5Config T5RandomShape::config(int max_positions) const {
  T5Config c;
  c.d_model = h * d;
  c.d_kv = d;
  c.d_ff = ffn;
  c.n_encoder_layers = enc_layers;
  c.n_decoder_layers = dec_layers;
  c.n_heads = h;
  c.n_kv_heads = g;
  c.vocab_size = vocab;
  c.relative_buckets = buckets;
  c.activation = kernels::Activation::gelu_tanh;
  c.gated = true;
  c.tied_embeddings = false;
  c.max_positions = max_positions;
  c.validate("--random-model " + text());
  return c;
}

T5RandomShape parse_t5_random_shape(const std::string& text) {
  GS_CHECK(text.rfind("t5:", 0) == 0, "--random-model '" << text << "': a T5 shape starts with 't5:'");
  std::map<std::string, int T5RandomShape::*> fields = {
      {"h", &T5RandomShape::h},       {"g", &T5RandomShape::g},           {"d", &T5RandomShape::d},
      {"enc_layers", &T5RandomShape::enc_layers}, {"dec_layers", &T5RandomShape::dec_layers},
      {"ffn", &T5RandomShape::ffn},   {"vocab", &T5RandomShape::vocab},   {"buckets", &T5RandomShape::buckets}};
  T5RandomShape s;
  std::map<std::string, bool> seen;
  std::stringstream items(text.substr(3));
  std::string item;
  while (std::getline(items, item, ',')) {
    const std::size_t eq = item.find('=');
    GS_CHECK(eq != std::string::npos, "--random-model '" << text << "': '" << item << "' is not key=value; expected " << kKeys);
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    auto it = fields.find(key);
    GS_CHECK(it != fields.end(), "--random-model '" << text << "': unknown key '" << key << "'; expected " << kKeys);
    GS_CHECK(!seen[key], "--random-model '" << text << "': '" << key << "' is given twice");
    seen[key] = true;
    int v = 0;
    const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), v);
    GS_CHECK(!value.empty() && error == std::errc() && ptr == value.data() + value.size() && v > 0,
             "--random-model '" << text << "': " << key << "='" << value << "' is not a positive integer");
    s.*(it->second) = v;
  }
  for (const auto& [key, field] : fields)
    GS_CHECK(key == "buckets" || seen[key], "--random-model '" << text << "': '" << key << "' is missing; expected " << kKeys);
  GS_CHECK(std::int64_t{s.h} * s.d <= std::numeric_limits<int>::max(),
           "--random-model '" << text << "': the model width h*d is too large");
  return s;
}

void write_random_t5_checkpoint(const T5RandomShape& shape, int max_positions, std::uint64_t seed,
                                const std::filesystem::path& dir) {
  const T5Config c = shape.config(max_positions);
  const std::int64_t dm = c.d_model, inner = std::int64_t(c.n_heads) * c.d_kv, kv = std::int64_t(c.n_kv_heads) * c.d_kv;
  std::vector<SafetensorsEntry> entries;
  auto add = [&](const std::string& name, std::vector<std::int64_t> dims) { entries.push_back({name, DType::f32, dims}); };
  add("shared.weight", {c.vocab_size, dm});
  for (const std::string stack : {"encoder", "decoder"}) {
    const bool decoder = stack == "decoder";
    add(T5Checkpoint::relative_bias_name(stack), {c.relative_buckets, c.n_heads});
    for (int l = 0; l < (decoder ? c.n_decoder_layers : c.n_encoder_layers); ++l) {
      for (bool cross : decoder ? std::vector<bool>{false, true} : std::vector<bool>{false}) {
        add(T5Checkpoint::attention_name(stack, l, cross, "q"), {inner, dm});
        add(T5Checkpoint::attention_name(stack, l, cross, "k"), {decoder ? kv : inner, dm});
        add(T5Checkpoint::attention_name(stack, l, cross, "v"), {decoder ? kv : inner, dm});
        add(T5Checkpoint::attention_name(stack, l, cross, "o"), {dm, inner});
      }
      for (int sub = 0; sub < (decoder ? 3 : 2); ++sub) add(T5Checkpoint::norm_name(stack, l, sub), {dm});
      add(T5Checkpoint::ffn_name(stack, l, "wi_0"), {c.d_ff, dm});
      add(T5Checkpoint::ffn_name(stack, l, "wi_1"), {c.d_ff, dm});
      add(T5Checkpoint::ffn_name(stack, l, "wo"), {dm, c.d_ff});
    }
    add(stack + ".final_layer_norm.weight", {dm});
  }
  add("lm_head.weight", {c.vocab_size, dm});

  SafetensorsWriter writer(dir / "model.safetensors", entries, {{"format", "pt"}});
  std::mt19937_64 rng(seed);
  std::vector<float> values;
  for (const SafetensorsEntry& e : entries) {
    std::int64_t count = 1;
    for (std::int64_t n : e.shape) count *= n;
    values.resize(static_cast<std::size_t>(count));
    if (e.shape.size() == 1) {
      std::fill(values.begin(), values.end(), 1.0f);  // norms
    } else {
      // Uniform with the 1/sqrt(fan_in) scale of the product's inputs.
      const float scale = 1.0f / std::sqrt(static_cast<float>(e.shape[1]));
      std::uniform_real_distribution<float> u(-scale, scale);
      for (float& v : values) v = u(rng);
    }
    writer.write_next(std::as_bytes(std::span(values)));
  }
  writer.finish();
  const nlohmann::json config = {{"architectures", {"T5ForConditionalGeneration"}}, {"model_type", "t5"},
                                 {"d_model", c.d_model}, {"d_kv", c.d_kv}, {"d_ff", c.d_ff},
                                 {"num_layers", c.n_encoder_layers}, {"num_decoder_layers", c.n_decoder_layers},
                                 {"num_heads", c.n_heads}, {"num_key_value_heads", c.n_kv_heads},
                                 {"vocab_size", c.vocab_size}, {"relative_attention_num_buckets", c.relative_buckets},
                                 {"feed_forward_proj", "gated-gelu"}, {"tie_word_embeddings", false},
                                 {"n_positions", max_positions}, {"decoder_start_token_id", 0},
                                 {"eos_token_id", 1}, {"pad_token_id", 0}};
  std::ofstream(dir / "config.json") << config.dump(2) << "\n";
}

}  // namespace gs
