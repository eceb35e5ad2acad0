// printf-style formatting into a std::string, for tables and human-readable figures.
//
// Why not libfmt (Debian's libfmt-dev): this is the one home for it already, and
// GCC checks every pattern against its arguments at compile time (the format
// attribute, -Wformat in -Wall). fmt would be a new dependency for the build, the
// GPU machine's carried packages and the fuzz project, and its ~40 patterns would
// need rewriting where fmt and printf differ (fmt aligns strings left and numbers
// right by default, printf right unless '-'): a slip shifts the plan and bench
// tables without failing the build. C++20's std::format (GCC 13) can replace this
// with no dependency when the toolchain has it.
#pragma once

#include <string>

namespace gs {

// printf_text("%.2f ms", x): the text std::printf would print, of any length.
std::string printf_text(const char* pattern, ...) __attribute__((format(printf, 1, 2)));

}  // namespace gs
