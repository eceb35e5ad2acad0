// The tok512 vocabulary as a llama2.c tokenizer.bin and as a SentencePiece
// model: both encode the golden prompts exactly as the reference implementation
// (run.c's encode) did, encode other text alike, and decode the greedy
// continuation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/tokenizer.h"
#include "tests/tokenizer/tokenizer_test_support.h"

namespace gs {
namespace {

using test::shared_path;

nlohmann::json golden(const std::string& model) {
  return nlohmann::json::parse(test::read_file(shared_path("models/" + model + "/golden.json")));
}

class Tok512Test : public ::testing::TestWithParam<const char*> {
 protected:
  std::unique_ptr<Tokenizer> tokenizer_ = open_tokenizer(shared_path(GetParam()));
};

TEST_P(Tok512Test, VocabularyAndSpecialIds) {
  EXPECT_EQ(tokenizer_->vocab_size(), 512);
  EXPECT_EQ(tokenizer_->bos_id(), 1);
  EXPECT_EQ(tokenizer_->eos_id(), 2);
}

TEST_P(Tok512Test, EncodesGoldenPrompts) {
  int cases = 0;
  for (const char* model : {"stories260K", "random-h8g2", "tinystories-mha-1m"}) {
    const auto cases_of_model = golden(model)["cases"];
    for (const auto& c : cases_of_model) {
      const auto prompt = c["prompt"].get<std::string>();
      EXPECT_EQ(tokenizer_->encode(prompt, true), c["prompt_ids"].get<std::vector<int>>())
          << model << " prompt \"" << prompt << "\"";
      ++cases;
    }
  }
  EXPECT_EQ(cases, 8);
}

TEST_P(Tok512Test, EncodesWithoutBos) {
  EXPECT_EQ(tokenizer_->encode("Once upon a time", false), (std::vector<int>{403, 407, 261, 378}));
  EXPECT_TRUE(tokenizer_->encode("", false).empty());
}

TEST_P(Tok512Test, DecodesStories260KGreedyContinuation) {
  const auto c = golden("stories260K")["cases"][0];
  ASSERT_EQ(c["prompt"], "Once upon a time");
  auto ids = c["prompt_ids"].get<std::vector<int>>();
  const auto greedy = c["greedy_ids"].get<std::vector<int>>();
  ids.insert(ids.end(), greedy.begin(), greedy.end());
  const std::string text = test::decode_all(*tokenizer_, ids);
  EXPECT_TRUE(text.starts_with("Once upon a time, there was a little girl named Lily")) << text;
}

TEST_P(Tok512Test, DecodesLikeRunC) {
  const int once = tokenizer_->encode("Once", false).back();
  const std::string once_text = tokenizer_->decode(tokenizer_->eos_id(), once);
  ASSERT_EQ(once_text, " Once");
  // After BOS the dummy prefix's space is dropped.
  EXPECT_EQ(tokenizer_->decode(tokenizer_->bos_id(), once), "Once");
  // Byte pieces <0xNN> (ids 3..258) decode to the raw byte.
  EXPECT_EQ(tokenizer_->decode(once, 0x0A + 3), "\n");
  EXPECT_EQ(tokenizer_->decode(once, 0xE2 + 3), "\xE2");
}

TEST(Tok512Formats, EncodeAlikeWhateverTheSpacing) {
  const auto bin = open_tokenizer(shared_path("models/tok512/tokenizer.bin"));
  const auto model = open_tokenizer(shared_path("models/stories260K/tok512.model"));
  // tok512.model asks SentencePiece to collapse extra spaces; run.c keeps them.
  for (const std::string text : {" leading space", "trailing space ", "two  spaces", "\ttab and\nnewline\n\n",
                                 "Lily said, \"Hi, Tom!\" 123 caf\xC3\xA9"}) {
    EXPECT_EQ(bin->encode(text, true), model->encode(text, true)) << '"' << text << '"';
    EXPECT_EQ(test::decode_all(*model, model->encode(text, true)), text);
  }
}

INSTANTIATE_TEST_SUITE_P(Files, Tok512Test,
                         ::testing::Values("models/tok512/tokenizer.bin", "models/stories260K/tok512.model"),
                         [](const auto& info) { return info.index == 0 ? "Llama2cBin" : "SentencePieceModel"; });

}  // namespace
}  // namespace gs
