// Bad tokenizer files give a gs::Error naming the file and the problem.
#include <gtest/gtest.h>

#include <random>

#include "engine/tokenizer/tokenizer.h"
#include "common/check.h"
#include "tests/tokenizer/tokenizer_test_support.h"

namespace gs {
namespace {

// The message of the gs::Error that opening `path` throws.
std::string open_error(const std::filesystem::path& path) {
  try {
    open_tokenizer(path);
  } catch (const Error& error) {
    return error.what();
  }
  ADD_FAILURE() << "opening " << path << " did not throw";
  return {};
}

std::string random_bytes(size_t size) {
  std::mt19937 generator(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string bytes(size, '\0');
  for (char& b : bytes) b = static_cast<char>(byte(generator));
  return bytes;
}

TEST(TokenizerErrors, MissingFile) {
  const auto path = test::shared_path("models/no-such-folder/tokenizer.bin");
  const auto message = open_error(path);
  EXPECT_TRUE(test::contains(message, path.string()));
  EXPECT_TRUE(test::contains(message, "not found"));
}

TEST(TokenizerErrors, FolderIsNotATokenizer) {
  const auto path = test::shared_path("models/tok512");
  EXPECT_TRUE(test::contains(open_error(path), path.string()));
}

TEST(TokenizerErrors, TruncatedTokenizerBin) {
  const std::string bytes = test::read_file(test::shared_path("models/tok512/tokenizer.bin"));
  // Cuts inside a score, inside a length, and inside a piece's bytes.
  for (size_t size : {size_t{6}, size_t{10}, size_t{14}, size_t{1000}, bytes.size() - 1}) {
    const auto path = test::write_scratch_file("tokenizer.bin", bytes.substr(0, size));
    const auto message = open_error(path);
    EXPECT_TRUE(test::contains(message, path.string())) << size;
    EXPECT_TRUE(test::contains(message, "truncated tokenizer.bin")) << size;
  }
}

TEST(TokenizerErrors, CorruptTokenLength) {
  std::string bytes = test::read_file(test::shared_path("models/tok512/tokenizer.bin"));
  bytes[4 + 4] = '\x7F';  // the first token's length becomes 127, over max_token_length 7
  const auto path = test::write_scratch_file("tokenizer.bin", bytes);
  const auto message = open_error(path);
  EXPECT_TRUE(test::contains(message, path.string()));
  EXPECT_TRUE(test::contains(message, "token 0 has length 127"));
}

TEST(TokenizerErrors, RandomBytesAreNotATokenizer) {
  const auto path = test::write_scratch_file("noise.dat", random_bytes(4096));
  const auto message = open_error(path);
  EXPECT_TRUE(test::contains(message, path.string()));
  EXPECT_TRUE(test::contains(message, "not a tokenizer"));
  EXPECT_TRUE(test::contains(message, "SentencePiece model"));
  EXPECT_TRUE(test::contains(message, "llama2.c tokenizer.bin"));
}

TEST(TokenizerErrors, EmptyFileIsNotATokenizer) {
  const auto path = test::write_scratch_file("tokenizer.bin", "");
  EXPECT_TRUE(test::contains(open_error(path), "not a tokenizer"));
}

TEST(TokenizerErrors, BrokenSentencePieceModel) {
  const std::string bytes = test::read_file(test::shared_path("models/stories260K/tok512.model"));
  const auto path = test::write_scratch_file("tokenizer.model", bytes.substr(0, bytes.size() / 2));
  const auto message = open_error(path);
  EXPECT_TRUE(test::contains(message, path.string()));
  EXPECT_TRUE(test::contains(message, "SentencePiece"));
}

TEST(TokenizerErrors, DecodingAnIdOutsideTheVocabulary) {
  for (const char* file : {"models/tok512/tokenizer.bin", "models/stories260K/tok512.model"}) {
    const auto tokenizer = open_tokenizer(test::shared_path(file));
    EXPECT_THROW(tokenizer->decode(1, 512), Error) << file;
    EXPECT_THROW(tokenizer->decode(1, -1), Error) << file;
  }
}

}  // namespace
}  // namespace gs
