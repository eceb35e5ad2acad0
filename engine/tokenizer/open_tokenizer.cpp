#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>

#include "engine/tokenizer/llama2c_tokenizer.h"
#include "engine/tokenizer/sentencepiece_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"
#include "common/check.h"

namespace gs {

std::unique_ptr<Tokenizer> open_tokenizer(const std::filesystem::path& path) {
  std::error_code error;
  GS_CHECK(std::filesystem::is_regular_file(path, error), "tokenizer file not found (or not a regular file): " << path);
  std::ifstream file(path, std::ios::binary);
  GS_CHECK(file, "cannot open tokenizer file " << path);
  std::string head(4, '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(file.gcount()));

  bool sentencepiece = SentencePieceTokenizer::recognizes(head);
  const bool llama2c = Llama2cTokenizer::recognizes(head);
  // A few headers fit both (a tokenizer.bin whose max_token_length is 0x0A plus
  // a multiple of 256); the name decides then.
  if (sentencepiece && llama2c) sentencepiece = path.extension() != ".bin";
  if (sentencepiece) return std::make_unique<SentencePieceTokenizer>(path);
  if (llama2c) return std::make_unique<Llama2cTokenizer>(path);
  GS_FAIL(path << " is not a tokenizer: expected a SentencePiece model (tokenizer.model) or a llama2.c "
                  "tokenizer.bin (int32 max_token_length, then per token: float32 score, int32 length, bytes)");
}

}  // namespace gs
