#include "engine/tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <fstream>
#include <iterator>

#include "engine/tokenizer/piece_text.h"
#include "common/check.h"

namespace gs {

namespace {

using namespace std::string_view_literals;

// run.c keeps every space, but a model trained with remove_extra_whitespaces (as
// tok512.model is) makes SentencePiece drop leading, trailing and repeated
// spaces. Appending a second normalizer_spec (ModelProto field 3) that holds only
// remove_extra_whitespaces = false (NormalizerSpec field 4) turns that off:
// protobuf merges a message field that occurs twice, the later value winning.
constexpr std::string_view kKeepAllWhitespace = "\x1A\x02\x20\x00"sv;

// SentencePiece's whitespace marker U+2581 "▁", which run.c's vocabulary stores as ' '.
constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";

std::string with_spaces(std::string_view piece) {
  std::string text;
  for (size_t at = 0; at < piece.size();) {
    if (piece.substr(at).starts_with(kSpaceMarker)) {
      text += ' ';
      at += kSpaceMarker.size();
    } else {
      text += piece[at++];
    }
  }
  return text;
}

}  // namespace

// A ModelProto serializes its pieces (field 1, length-delimited: tag 0x0A) first,
// and the first piece is never empty, so its length byte is not 0.
bool SentencePieceTokenizer::recognizes(std::string_view head) {
  return head.size() >= 2 && head[0] == '\x0A' && head[1] != '\0';
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& path)
    : path_(path), processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  std::ifstream file(path, std::ios::binary);
  GS_CHECK(file, "cannot open SentencePiece model " << path);
  std::string model{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  GS_CHECK(!file.bad(), "cannot read SentencePiece model " << path);
  model += kKeepAllWhitespace;
  const auto status = processor_->LoadFromSerializedProto(model);
  GS_CHECK(status.ok(), "cannot load SentencePiece model " << path << ": " << status.ToString());
  const int size = processor_->GetPieceSize();
  pieces_.reserve(static_cast<size_t>(size));
  for (int id = 0; id < size; ++id) pieces_.push_back(with_spaces(processor_->IdToPiece(id)));
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

int SentencePieceTokenizer::bos_id() const { return processor_->bos_id(); }

int SentencePieceTokenizer::eos_id() const { return processor_->eos_id(); }

std::vector<int> SentencePieceTokenizer::encode(const std::string& text, bool add_bos) const {
  std::vector<int> ids;
  if (add_bos) {
    GS_CHECK(bos_id() >= 0, path_ << ": this SentencePiece model has no BOS token");
    ids.push_back(bos_id());
  }
  // run.c adds no dummy prefix to empty text; SentencePiece also yields no pieces.
  if (text.empty()) return ids;
  std::vector<int> pieces;
  const auto status = processor_->Encode(text, &pieces);
  GS_CHECK(status.ok(), path_ << ": SentencePiece cannot encode the text: " << status.ToString());
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  return ids;
}

std::string SentencePieceTokenizer::decode(int previous, int id) const {
  GS_CHECK(id >= 0 && id < vocab_size(),
           path_ << ": cannot decode token " << id << ": the vocabulary has ids 0.." << vocab_size() - 1);
  return piece_text(pieces_[id], previous == bos_id());
}

}  // namespace gs
