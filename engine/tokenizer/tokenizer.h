// Tokenizer: text <-> token ids, for llama2.c tokenizer.bin and SentencePiece
// tokenizer.model files.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace gs {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual int vocab_size() const = 0;
  virtual int bos_id() const = 0;
  virtual int eos_id() const = 0;
  // Encodes as llama2.c's run.c does: optional BOS, then the text with a leading
  // space (the SentencePiece "dummy prefix"), merged by the vocabulary's scores.
  virtual std::vector<int> encode(const std::string& text, bool add_bos) const = 0;
  // The text of token `id` when it follows `previous` (run.c's decode: a space
  // after BOS is dropped, byte tokens <0x0A> become the byte).
  virtual std::string decode(int previous, int id) const = 0;
};

// Opens tokenizer.model (SentencePiece protobuf) or tokenizer.bin (llama2.c),
// chosen by content; throws gs::Error naming the path if it is neither.
std::unique_ptr<Tokenizer> open_tokenizer(const std::filesystem::path& path);

}  // namespace gs
