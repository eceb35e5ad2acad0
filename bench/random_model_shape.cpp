#include "bench/random_model_shape.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <sstream>
#include <utility>

#include "common/check.h"

namespace gs::bench {

namespace {

constexpr const char* kExpected = "expected h=, g=, d=, layers=, ffn=, vocab= (e.g. "
                                  "h=32,g=8,d=128,layers=8,ffn=5632,vocab=32000)";

// The keys in canonical order with the field each one sets.
std::array<std::pair<const char*, int RandomModelShape::*>, 6> fields() {
  return {{{"h", &RandomModelShape::h},
           {"g", &RandomModelShape::g},
           {"d", &RandomModelShape::d},
           {"layers", &RandomModelShape::layers},
           {"ffn", &RandomModelShape::ffn},
           {"vocab", &RandomModelShape::vocab}}};
}

int parse_positive(const std::string& text, const std::string& key, const std::string& whole) {
  int value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  GS_CHECK(!text.empty() && error == std::errc() && ptr == end && value > 0,
           "--random-model '" << whole << "': " << key << "='" << text
                              << "' is not a positive integer");
  return value;
}

}  // namespace

std::string RandomModelShape::text() const {
  std::ostringstream out;
  const char* separator = "";
  for (const auto& [key, field] : fields()) {
    out << separator << key << '=' << this->*field;
    separator = ",";
  }
  return out.str();
}

RandomModelShape RandomModelShape::of(const ModelConfig& c) {
  return {c.n_heads, c.n_kv_heads, c.head_dim, c.n_layers, c.ffn_dim, c.vocab_size};
}

ModelConfig RandomModelShape::config(int max_seq_len) const {
  ModelConfig c;
  c.dim = h * d;
  c.ffn_dim = ffn;
  c.n_layers = layers;
  c.n_heads = h;
  c.n_kv_heads = g;
  c.head_dim = d;
  c.vocab_size = vocab;
  c.max_seq_len = max_seq_len;
  c.validate("--random-model " + text());
  return c;
}

RandomModelShape parse_random_model_shape(const std::string& text) {
  RandomModelShape shape;
  std::array<bool, 6> seen{};
  std::stringstream in(text + ",");  // the sentinel makes a trailing comma an empty item
  std::string item;
  while (std::getline(in, item, ',')) {
    const std::size_t equals = item.find('=');
    GS_CHECK(equals != std::string::npos,
             "--random-model '" << text << "': '" << item << "' is not key=value; " << kExpected);
    const std::string key = item.substr(0, equals);
    std::size_t index = 0;
    while (index < fields().size() && key != fields()[index].first) ++index;
    GS_CHECK(index < fields().size(),
             "--random-model '" << text << "': unknown key '" << key << "'; " << kExpected);
    GS_CHECK(!seen[index], "--random-model '" << text << "': key '" << key << "' given twice");
    seen[index] = true;
    shape.*fields()[index].second = parse_positive(item.substr(equals + 1), key, text);
  }
  for (std::size_t i = 0; i < fields().size(); ++i)
    GS_CHECK(seen[i], "--random-model '" << text << "': missing key '" << fields()[i].first
                                         << "'; " << kExpected);
  GS_CHECK(shape.h % shape.g == 0, "--random-model '" << text << "': g=" << shape.g
                                                      << " does not divide h=" << shape.h
                                                      << " (query heads split evenly into KV groups)");
  GS_CHECK(std::int64_t{shape.h} * shape.d <= std::numeric_limits<int>::max(),
           "--random-model '" << text << "': the model width h*d is too large");
  GS_CHECK(shape.d % 2 == 0,
           "--random-model '" << text << "': d=" << shape.d << " must be even (RoPE rotates pairs)");
  return shape;
}

}  // namespace gs::bench
