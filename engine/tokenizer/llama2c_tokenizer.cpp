#include "engine/tokenizer/llama2c_tokenizer.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

#include "engine/tokenizer/piece_text.h"
#include "common/check.h"

namespace gs {

namespace {

// A max_token_length above this marks a file that is not a tokenizer.bin
// (Llama 2's longest piece has 27 bytes).
constexpr int32_t kMaxPieceBytes = 1 << 16;

// run.c starts its best score at -1e10, so pieces scoring that or less never merge.
constexpr float kMergeFloor = -1e10f;

// Reads the fields of a tokenizer.bin held in memory (little-endian as llama2.c
// writes them, which is also this machine's order).
class Reader {
 public:
  Reader(const std::string& bytes, const std::filesystem::path& path) : bytes_(bytes), path_(path) {}

  bool at_end() const { return pos_ == bytes_.size(); }

  template <typename T>
  T read(const char* what) {
    T value;
    std::memcpy(&value, take(sizeof(T), what), sizeof(T));
    return value;
  }

  std::string read_string(size_t size, const char* what) { return std::string(take(size, what), size); }

 private:
  const char* take(size_t size, const char* what) {
    GS_CHECK(bytes_.size() - pos_ >= size, path_ << ": truncated tokenizer.bin: the file ends at byte "
                                                  << bytes_.size() << " inside " << what);
    const char* at = bytes_.data() + pos_;
    pos_ += size;
    return at;
  }

  const std::string& bytes_;
  const std::filesystem::path& path_;
  size_t pos_ = 0;
};

bool is_utf8_continuation(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

}  // namespace

bool Llama2cTokenizer::recognizes(std::string_view head) {
  if (head.size() < sizeof(int32_t)) return false;
  int32_t max_token_length;
  std::memcpy(&max_token_length, head.data(), sizeof max_token_length);
  return max_token_length > 0 && max_token_length <= kMaxPieceBytes;
}

Llama2cTokenizer::Llama2cTokenizer(const std::filesystem::path& path) : path_(path) {
  std::ifstream file(path, std::ios::binary);
  GS_CHECK(file, "cannot open tokenizer file " << path);
  const std::string bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  GS_CHECK(!file.bad(), "cannot read tokenizer file " << path);

  Reader reader(bytes, path_);
  const auto max_token_length = reader.read<int32_t>("the header (int32 max_token_length)");
  GS_CHECK(max_token_length > 0 && max_token_length <= kMaxPieceBytes,
           path_ << ": not a llama2.c tokenizer.bin: max_token_length is " << max_token_length
                 << ", expected 1.." << kMaxPieceBytes);
  // The vocabulary size is not stored: tokens run to the end of the file.
  while (!reader.at_end()) {
    const std::string what = "token " + std::to_string(pieces_.size());
    const auto score = reader.read<float>(what.c_str());
    const auto length = reader.read<int32_t>(what.c_str());
    GS_CHECK(length >= 0 && length <= max_token_length,
             path_ << ": not a llama2.c tokenizer.bin: " << what << " has length " << length
                   << ", outside 0..max_token_length (" << max_token_length << ")");
    pieces_.push_back(reader.read_string(static_cast<size_t>(length), what.c_str()));
    scores_.push_back(score);
  }
  GS_CHECK(pieces_.size() > static_cast<size_t>(eos_id()),
           path_ << ": tokenizer.bin holds " << pieces_.size()
                 << " tokens; it needs at least <unk>, BOS and EOS");
  for (size_t id = 0; id < pieces_.size(); ++id) {
    ids_.emplace(pieces_[id], static_cast<int>(id));  // a repeated piece keeps its first id
  }
  space_id_ = find(" ");
  GS_CHECK(space_id_ >= 0, path_ << ": tokenizer.bin has no \" \" token, which encoding needs as the dummy prefix");
}

int Llama2cTokenizer::find(const std::string& piece) const {
  auto it = ids_.find(piece);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<int> Llama2cTokenizer::encode(const std::string& text, bool add_bos) const {
  std::vector<int> ids;
  if (add_bos) ids.push_back(bos_id());
  if (text.empty()) return ids;
  std::vector<int> tokens = split_codepoints(text);
  merge_pairs(tokens);
  ids.insert(ids.end(), tokens.begin(), tokens.end());
  return ids;
}

// The dummy prefix, then one token per UTF-8 codepoint (at most 4 bytes, as
// run.c groups them), or one byte-fallback token per byte if the codepoint is
// not in the vocabulary.
std::vector<int> Llama2cTokenizer::split_codepoints(const std::string& text) const {
  std::vector<int> tokens{space_id_};
  std::string codepoint;
  for (size_t i = 0; i < text.size(); ++i) {
    codepoint += text[i];
    const bool continues = i + 1 < text.size() && is_utf8_continuation(text[i + 1]);
    if (continues && codepoint.size() < 4) continue;
    if (int id = find(codepoint); id >= 0) {
      tokens.push_back(id);
    } else {
      for (unsigned char byte : codepoint) {
        // Byte tokens <0x00>..<0xFF> follow <unk>, BOS and EOS.
        const int byte_id = byte + 3;
        GS_CHECK(byte_id < vocab_size(), path_ << ": cannot encode byte " << int{byte}
                                               << ": the vocabulary has no byte-fallback token for it");
        tokens.push_back(byte_id);
      }
    }
    codepoint.clear();
  }
  return tokens;
}

// Merges, until none applies, the adjacent pair whose concatenation is the
// best-scoring piece (the leftmost on ties), as run.c does. Each pair's merge is
// cached, so a merge recomputes only its neighbours' pairs; run.c recomputes
// every pair each round, with the same result in quadratic string work.
void Llama2cTokenizer::merge_pairs(std::vector<int>& tokens) const {
  struct Merge {
    int id;  // -1: the pair is not a piece
    float score;
  };
  auto merge_of = [&](size_t i) {
    const int id = find(pieces_[tokens[i]] + pieces_[tokens[i + 1]]);
    return Merge{id, id >= 0 ? scores_[id] : kMergeFloor};
  };
  std::vector<Merge> merges;  // merges[i]: tokens[i] with tokens[i + 1]
  for (size_t i = 0; i + 1 < tokens.size(); ++i) merges.push_back(merge_of(i));

  while (true) {
    size_t best = merges.size();
    float best_score = kMergeFloor;
    for (size_t i = 0; i < merges.size(); ++i) {
      if (merges[i].id >= 0 && merges[i].score > best_score) {
        best = i;
        best_score = merges[i].score;
      }
    }
    if (best == merges.size()) return;
    tokens[best] = merges[best].id;
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    merges.erase(merges.begin() + static_cast<std::ptrdiff_t>(best));
    if (best > 0) merges[best - 1] = merge_of(best - 1);
    if (best < merges.size()) merges[best] = merge_of(best);
  }
}

std::string Llama2cTokenizer::decode(int previous, int id) const {
  GS_CHECK(id >= 0 && id < vocab_size(),
           path_ << ": cannot decode token " << id << ": the vocabulary has ids 0.." << vocab_size() - 1);
  return piece_text(pieces_[id], previous == bos_id());
}

}  // namespace gs
