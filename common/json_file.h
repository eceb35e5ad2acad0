// A JSON file read whole: config.json, a safetensors index, a model preset.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace gs {

// Throws gs::Error naming the file when it cannot be read or is not valid JSON.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace gs
