// run.c's decode conventions, shared by both tokenizer formats.
#pragma once

#include <string>
#include <string_view>

namespace gs {

// The text of a vocabulary piece (SentencePiece's "▁" already turned into ' ') as
// run.c prints it: after BOS the leading space, the dummy prefix, is dropped, and a
// byte piece "<0xNN>" stands for that raw byte.
std::string piece_text(std::string_view piece, bool after_bos);

}  // namespace gs
