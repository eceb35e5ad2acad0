// read_json_file: the parsed document, or an error naming the file and the fault.
#include "common/json_file.h"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "common/check.h"

namespace gs {
namespace {

namespace fs = std::filesystem;

fs::path write_file(const std::string& name, const std::string& text) {
  const fs::path path = fs::temp_directory_path() / (name + "-" + std::to_string(getpid()) + ".json");
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const fs::path& path) {
  try {
    read_json_file(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ReadJsonFile, ParsesTheDocument) {
  const fs::path path = write_file("good", R"({"hidden_size": 64, "names": ["a", "b"]})");
  const nlohmann::json json = read_json_file(path);
  EXPECT_EQ(json.at("hidden_size").get<int>(), 64);
  EXPECT_EQ(json.at("names").at(1).get<std::string>(), "b");
  fs::remove(path);
}

TEST(ReadJsonFile, NamesAMissingFile) {
  EXPECT_EQ(error_of("/no/such/config.json"), "/no/such/config.json: cannot open for reading");
}

TEST(ReadJsonFile, NamesTheFileOfInvalidJson) {
  const fs::path path = write_file("bad", R"({"hidden_size": )");
  const std::string error = error_of(path);
  EXPECT_EQ(error.rfind(path.string() + ": not valid JSON: ", 0), 0u) << error;
  fs::remove(path);
}

}  // namespace
}  // namespace gs
