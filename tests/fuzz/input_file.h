// The fuzz input as a file, for parsers that take a path (as users give them):
// an anonymous in-memory file (memfd) rewritten on each run and opened by its
// /proc/self/fd path, so no run touches the disk or leaves files behind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gs::fuzz {

// The path of a file holding exactly data[0, size).
std::string input_file(const std::uint8_t* data, std::size_t size);

}  // namespace gs::fuzz
