#include "launch/eval_pairs.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/check.h"

namespace gs {

std::vector<EvalPair> read_eval_pairs(const std::string& path) {
  GS_CHECK(std::filesystem::is_regular_file(path),
           "cannot read the pairs file " << path << ": it does not exist or is not a regular file");
  std::ifstream in(path, std::ios::binary);
  std::vector<EvalPair> pairs;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    GS_CHECK(!j.is_discarded() && j.is_object() && j.contains("input") && j["input"].is_string() &&
                 j.contains("target") && j["target"].is_string(),
             path << ":" << number << ": each line of a T5 eval file must be a JSON object "
                  << "{\"input\": TEXT, \"target\": TEXT}");
    pairs.push_back({j["input"].get<std::string>(), j["target"].get<std::string>()});
  }
  GS_CHECK(!pairs.empty(), "the pairs file " << path << " holds no pairs: there is nothing to evaluate");
  return pairs;
}

}  // namespace gs
