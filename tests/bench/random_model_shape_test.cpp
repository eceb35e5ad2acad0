// The --random-model parser: every key once, positive integers, G dividing H, and
// an error naming the problem for anything else.
#include <gtest/gtest.h>

#include "bench/random_model_shape.h"
#include "common/check.h"

namespace gs::bench {
namespace {

// The error text parse_random_model_shape gives for text (fails the test if none).
std::string error_of(const std::string& text) {
  try {
    parse_random_model_shape(text);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "'" << text << "' was accepted";
  return {};
}

TEST(RandomModelShape, ParsesEveryKeyInAnyOrder) {
  const RandomModelShape s = parse_random_model_shape("vocab=32000,ffn=5632,layers=22,d=64,g=4,h=32");
  EXPECT_EQ(s.h, 32);
  EXPECT_EQ(s.g, 4);
  EXPECT_EQ(s.d, 64);
  EXPECT_EQ(s.layers, 22);
  EXPECT_EQ(s.ffn, 5632);
  EXPECT_EQ(s.vocab, 32000);
  EXPECT_EQ(s.text(), "h=32,g=4,d=64,layers=22,ffn=5632,vocab=32000");
  EXPECT_EQ(parse_random_model_shape(s.text()).text(), s.text());
}

TEST(RandomModelShape, ConfigHasWidthHTimesD) {
  const ModelConfig c = parse_random_model_shape("h=8,g=2,d=16,layers=3,ffn=40,vocab=100").config(77);
  EXPECT_EQ(c.dim, 128);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.n_layers, 3);
  EXPECT_EQ(c.ffn_dim, 40);
  EXPECT_EQ(c.vocab_size, 100);
  EXPECT_EQ(c.max_seq_len, 77);
  EXPECT_FALSE(c.tied_embeddings);
  EXPECT_EQ(RandomModelShape::of(c).text(), "h=8,g=2,d=16,layers=3,ffn=40,vocab=100");
}

TEST(RandomModelShape, MhaAndMqaAreValid) {
  EXPECT_EQ(parse_random_model_shape("h=4,g=4,d=2,layers=1,ffn=1,vocab=1").g, 4);
  EXPECT_EQ(parse_random_model_shape("h=4,g=1,d=2,layers=1,ffn=1,vocab=1").g, 1);
}

TEST(RandomModelShape, RejectsUnknownKeyNamingIt) {
  const std::string e = error_of("h=32,g=8,d=128,layers=8,ffn=5632,vocab=32000,heads=4");
  EXPECT_NE(e.find("unknown key 'heads'"), std::string::npos) << e;
  EXPECT_NE(e.find("expected h=, g=, d=, layers=, ffn=, vocab="), std::string::npos) << e;
}

TEST(RandomModelShape, RejectsMissingAndRepeatedKeys) {
  EXPECT_NE(error_of("h=32,g=8,d=128,layers=8,ffn=5632").find("missing key 'vocab'"), std::string::npos);
  EXPECT_NE(error_of("h=32,g=8,d=128,layers=8,ffn=5632,vocab=1,h=16").find("key 'h' given twice"),
            std::string::npos);
  EXPECT_NE(error_of("").find("is not key=value"), std::string::npos);
}

TEST(RandomModelShape, RejectsValuesThatAreNotPositiveIntegers) {
  for (const std::string value : {"x", "", "0", "-4", "3.5", "8x", " 8", "99999999999"}) {
    const std::string e = error_of("h=32,g=" + value + ",d=128,layers=8,ffn=5632,vocab=32000");
    EXPECT_NE(e.find("g='" + value + "' is not a positive integer"), std::string::npos) << e;
  }
}

TEST(RandomModelShape, RejectsGroupsThatDoNotDivideHeads) {
  const std::string e = error_of("h=32,g=5,d=128,layers=8,ffn=5632,vocab=32000");
  EXPECT_NE(e.find("g=5 does not divide h=32"), std::string::npos) << e;
}

TEST(RandomModelShape, RejectsOddHeadSizeAndMalformedLists) {
  EXPECT_NE(error_of("h=4,g=2,d=7,layers=1,ffn=8,vocab=8").find("d=7 must be even"), std::string::npos);
  EXPECT_NE(error_of("h=4,g=2,d=8,layers=1,ffn=8,vocab=8,").find("'' is not key=value"), std::string::npos);
  EXPECT_NE(error_of("h4,g=2").find("'h4' is not key=value"), std::string::npos);
  EXPECT_NE(error_of("h=65536,g=1,d=65536,layers=1,ffn=8,vocab=8").find("too large"), std::string::npos);
}

}  // namespace
}  // namespace gs::bench
