// A SentencePiece tokenizer.model, read with libsentencepiece, encoding and
// decoding with run.c's conventions: every space is kept (even where the model
// says to collapse them), so ids match a tokenizer.bin of the same vocabulary.
// The one difference left is malformed UTF-8, which SentencePiece reads as
// U+FFFD where run.c byte-falls-back the raw bytes.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace gs {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Throws gs::Error naming `path` if libsentencepiece cannot load it.
  explicit SentencePieceTokenizer(const std::filesystem::path& path);
  ~SentencePieceTokenizer() override;

  // Whether a file's first bytes could start a SentencePiece ModelProto.
  static bool recognizes(std::string_view head);

  int vocab_size() const override { return static_cast<int>(pieces_.size()); }
  int bos_id() const override;
  int eos_id() const override;
  std::vector<int> encode(const std::string& text, bool add_bos) const override;
  std::string decode(int previous, int id) const override;

 private:
  std::filesystem::path path_;  // for error messages
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  std::vector<std::string> pieces_;  // with "▁" as ' ', as in a tokenizer.bin
};

}  // namespace gs
