// printf-style formatting into a std::string, for tables and human-readable figures.
#pragma once

#include <string>

namespace gs {

// printf_text("%.2f ms", x): the text std::printf would print, of any length.
std::string printf_text(const char* pattern, ...) __attribute__((format(printf, 1, 2)));

}  // namespace gs
