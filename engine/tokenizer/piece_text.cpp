#include "engine/tokenizer/piece_text.h"

#include <charconv>

namespace gs {

namespace {

// Parses "<0xNN>" (two hex digits); returns -1 for any other piece.
int byte_piece_value(std::string_view piece) {
  if (piece.size() != 6 || !piece.starts_with("<0x") || !piece.ends_with('>')) return -1;
  unsigned value = 0;  // unsigned: from_chars then rejects a sign
  const char* first = piece.data() + 3;
  const char* last = first + 2;
  auto [end, error] = std::from_chars(first, last, value, 16);
  return error == std::errc{} && end == last ? static_cast<int>(value) : -1;
}

}  // namespace

std::string piece_text(std::string_view piece, bool after_bos) {
  if (after_bos && piece.starts_with(' ')) piece.remove_prefix(1);
  if (int byte = byte_piece_value(piece); byte >= 0) return std::string(1, static_cast<char>(byte));
  return std::string(piece);
}

}  // namespace gs
