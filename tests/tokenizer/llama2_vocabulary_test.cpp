// Llama 2's vocabulary as a llama2.c tokenizer.bin and as the SentencePiece
// tokenizer.model: both encode alike, and decoding gives the text back.
#include <gtest/gtest.h>

#include "engine/tokenizer/tokenizer.h"
#include "tests/tokenizer/tokenizer_test_support.h"

namespace gs {
namespace {

using test::shared_path;

// Loaded once: the 32000-piece vocabularies take a moment to read.
const Tokenizer& llama2_bin() {
  static const auto tokenizer = open_tokenizer(shared_path("models/llama2-tokenizer/tokenizer.bin"));
  return *tokenizer;
}

const Tokenizer& llama2_model() {
  static const auto tokenizer = open_tokenizer(shared_path("models/llama2-tokenizer/tokenizer.model"));
  return *tokenizer;
}

TEST(Llama2Vocabulary, SizesAndSpecialIds) {
  for (const Tokenizer* tokenizer : {&llama2_bin(), &llama2_model()}) {
    EXPECT_EQ(tokenizer->vocab_size(), 32000);
    EXPECT_EQ(tokenizer->bos_id(), 1);
    EXPECT_EQ(tokenizer->eos_id(), 2);
  }
}

TEST(Llama2Vocabulary, EmojiFallsBackToBytes) {
  // 🍕 is U+1F355, F0 9F 8D 95 in UTF-8; byte b is token b + 3.
  const std::vector<int> bytes{0xF0 + 3, 0x9F + 3, 0x8D + 3, 0x95 + 3};
  for (const Tokenizer* tokenizer : {&llama2_bin(), &llama2_model()}) {
    const auto ids = tokenizer->encode("\xF0\x9F\x8D\x95", false);
    ASSERT_EQ(ids.size(), 5u);
    EXPECT_EQ(std::vector<int>(ids.begin() + 1, ids.end()), bytes);
  }
}

using Llama2VocabularyTest = ::testing::TestWithParam<std::string>;

TEST_P(Llama2VocabularyTest, BothFormatsEncodeAlike) {
  const auto ids = llama2_bin().encode(GetParam(), true);
  EXPECT_EQ(ids, llama2_model().encode(GetParam(), true));
  EXPECT_EQ(llama2_bin().encode(GetParam(), false), std::vector<int>(ids.begin() + 1, ids.end()));
}

TEST_P(Llama2VocabularyTest, DecodingGivesTheTextBack) {
  for (const Tokenizer* tokenizer : {&llama2_bin(), &llama2_model()}) {
    EXPECT_EQ(test::decode_all(*tokenizer, tokenizer->encode(GetParam(), true)), GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(Texts, Llama2VocabularyTest,
                         ::testing::Values("Hello world",
                                           "The quick brown fox jumps over the lazy dog.",
                                           "In 2023, 1,234 people paid $56.78 each (about 70%).",
                                           "Wait... what?! \"Quoted\" [brackets] {braces}; a-b_c/d@e#f",
                                           "first line\nsecond line",
                                           "café au lait, naïve, Zürich",
                                           "I love pizza 🍕!",
                                           "日本語のテキスト",
                                           " leading space, two  spaces, trailing space ",
                                           "x"));

}  // namespace
}  // namespace gs
