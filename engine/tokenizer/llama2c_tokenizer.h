// llama2.c's tokenizer.bin: int32 max_token_length, then until end of file, per
// token: float32 score, int32 length, that many bytes. SentencePiece's "▁" is
// already stored as ' '. BOS is 1 and EOS is 2, as in run.c.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace gs {

class Llama2cTokenizer final : public Tokenizer {
 public:
  // Throws gs::Error naming `path` if it cannot be read, is truncated, or is not
  // a tokenizer.bin.
  explicit Llama2cTokenizer(const std::filesystem::path& path);

  // Whether a file's first bytes could start a tokenizer.bin (a plausible
  // max_token_length).
  static bool recognizes(std::string_view head);

  int vocab_size() const override { return static_cast<int>(pieces_.size()); }
  int bos_id() const override { return 1; }
  int eos_id() const override { return 2; }
  std::vector<int> encode(const std::string& text, bool add_bos) const override;
  std::string decode(int previous, int id) const override;

 private:
  int find(const std::string& piece) const;  // -1 when not in the vocabulary
  std::vector<int> split_codepoints(const std::string& text) const;
  void merge_pairs(std::vector<int>& tokens) const;

  std::filesystem::path path_;  // for error messages
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int> ids_;
  int space_id_ = -1;  // the dummy prefix " "
};

}  // namespace gs
