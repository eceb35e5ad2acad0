// Helpers shared by the tokenizer tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace gs::test {

inline std::filesystem::path shared_path(const std::string& relative) {
  return std::filesystem::path(GS_SHARED_DIR) / relative;
}

// The text of `ids` as a generator prints it: run.c's decode(previous, id) for
// each token after the leading BOS, concatenated.
inline std::string decode_all(const Tokenizer& tokenizer, const std::vector<int>& ids) {
  std::string text;
  int previous = tokenizer.bos_id();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i == 0 && ids[i] == tokenizer.bos_id()) continue;
    text += tokenizer.decode(previous, ids[i]);
    previous = ids[i];
  }
  return text;
}

// A file under the test's scratch folder holding `bytes`.
inline std::filesystem::path write_scratch_file(const std::string& name, const std::string& bytes) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto folder = std::filesystem::path(::testing::TempDir()) / "gs_tokenizer_test" /
                      (std::string(test->test_suite_name()) + "." + test->name());
  std::filesystem::create_directories(folder);
  const auto path = folder / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return path;
}

inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

}  // namespace gs::test
