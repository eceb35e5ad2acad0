#include "common/json_file.h"

#include <fstream>
#include <sstream>

#include "common/check.h"

namespace gs {

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  GS_CHECK(in, path.string() << ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    // A parse_error, or out_of_range for a number beyond double.
    GS_FAIL(path.string() << ": not valid JSON: " << e.what());
  }
}

}  // namespace gs
