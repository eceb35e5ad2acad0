// The fuzz input as a file, for parsers that take a path (as users give them):
// an anonymous in-memory file (memfd) rewritten on each run and opened by its
// /proc/self/fd path, so no run touches the disk or leaves files behind. Parsers
// that take a folder get a scratch folder instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace gs::fuzz {

// The path of a file holding exactly data[0, size).
std::string input_file(const std::uint8_t* data, std::size_t size);

// A folder of this process's own under the temporary directory ($TMPDIR), made on
// first use. libFuzzer ends a run with _Exit, so no exit handler could remove it:
// scripts/fuzz.sh points TMPDIR into its build folder and empties it.
const std::filesystem::path& scratch_dir();

// Overwrites path with data[0, size).
void write_file(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size);

}  // namespace gs::fuzz
