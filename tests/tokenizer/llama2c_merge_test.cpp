// run.c's encode rules on a small hand-made tokenizer.bin: codepoints, byte
// fallback, merges by highest score with the leftmost pair winning ties.
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "engine/tokenizer/tokenizer.h"
#include "tests/tokenizer/tokenizer_test_support.h"

namespace gs {
namespace {

// Serializes a tokenizer.bin: <unk>, BOS, EOS, the 256 byte pieces, then `extra`.
std::string tokenizer_bin(const std::vector<std::pair<std::string, float>>& extra) {
  std::vector<std::pair<std::string, float>> tokens{{"<unk>", 0}, {"\n<s>\n", 0}, {"\n</s>\n", 0}};
  for (int byte = 0; byte < 256; ++byte) {
    char piece[8];
    std::snprintf(piece, sizeof piece, "<0x%02X>", byte);
    tokens.emplace_back(piece, 0);
  }
  tokens.insert(tokens.end(), extra.begin(), extra.end());
  int32_t max_length = 0;
  for (const auto& [piece, score] : tokens) max_length = std::max(max_length, static_cast<int32_t>(piece.size()));
  std::string bytes(reinterpret_cast<const char*>(&max_length), sizeof max_length);
  for (const auto& [piece, score] : tokens) {
    const auto length = static_cast<int32_t>(piece.size());
    bytes.append(reinterpret_cast<const char*>(&score), sizeof score);
    bytes.append(reinterpret_cast<const char*>(&length), sizeof length);
    bytes += piece;
  }
  return bytes;
}

constexpr int kFirstExtra = 259;

class Llama2cMergeTest : public ::testing::Test {
 protected:
  std::unique_ptr<Tokenizer> open(const std::vector<std::pair<std::string, float>>& extra) {
    return open_tokenizer(test::write_scratch_file("tokenizer.bin", tokenizer_bin(extra)));
  }
};

TEST_F(Llama2cMergeTest, HighestScoringPairMergesFirst) {
  // ids:                     259        260       261       262         263
  const auto tokenizer = open({{" ", 0}, {"a", 0}, {"b", 0}, {"ab", -1}, {" a", -2}});
  const int space = kFirstExtra, ab = kFirstExtra + 3;
  EXPECT_EQ(tokenizer->encode("ab", false), (std::vector<int>{space, ab}));
  const auto prefers_space_a = open({{" ", 0}, {"a", 0}, {"b", 0}, {"ab", -2}, {" a", -1}});
  EXPECT_EQ(prefers_space_a->encode("ab", false), (std::vector<int>{kFirstExtra + 4, kFirstExtra + 2}));
}

TEST_F(Llama2cMergeTest, LeftmostPairWinsTies) {
  const auto tokenizer = open({{" ", 0}, {"a", 0}, {"aa", -1}});
  const int space = kFirstExtra, a = kFirstExtra + 1, aa = kFirstExtra + 2;
  EXPECT_EQ(tokenizer->encode("aaa", false), (std::vector<int>{space, aa, a}));
  EXPECT_EQ(tokenizer->encode("aaaa", true), (std::vector<int>{1, space, aa, aa}));
}

TEST_F(Llama2cMergeTest, MergesChainIntoLongerPieces) {
  const auto tokenizer = open({{" ", 0}, {"a", 0}, {"b", 0}, {"ab", -1}, {" ab", -2}, {" abab", -3}});
  EXPECT_EQ(tokenizer->encode("abab", false), (std::vector<int>{kFirstExtra + 5}));
}

TEST_F(Llama2cMergeTest, UnknownCodepointsFallBackToBytes) {
  const auto tokenizer = open({{" ", 0}, {"\xC3\xA9", 0}});  // é is a piece, ü is not
  const int space = kFirstExtra, e_acute = kFirstExtra + 1;
  EXPECT_EQ(tokenizer->encode("\xC3\xA9\xC3\xBC", false), (std::vector<int>{space, e_acute, 0xC3 + 3, 0xBC + 3}));
  // Invalid UTF-8 (a lone continuation byte) also falls back byte by byte.
  EXPECT_EQ(tokenizer->encode("\x80", false), (std::vector<int>{space, 0x80 + 3}));
}

TEST_F(Llama2cMergeTest, DecodeFollowsRunC) {
  const auto tokenizer = open({{" ", 0}, {" hi", -1}});
  const int space = kFirstExtra, hi = kFirstExtra + 1;
  EXPECT_EQ(tokenizer->decode(1, hi), "hi");
  EXPECT_EQ(tokenizer->decode(space, hi), " hi");
  EXPECT_EQ(tokenizer->decode(1, space), "");
  EXPECT_EQ(tokenizer->decode(hi, 0x41 + 3), "A");
  EXPECT_EQ(tokenizer->decode(hi, 0), "<unk>");
}

}  // namespace
}  // namespace gs
