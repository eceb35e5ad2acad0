#include "engine/checkpoint/safetensors_shards.h"

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "common/json_file.h"

namespace gs {

SafetensorsShards::SafetensorsShards(const std::filesystem::path& dir) {
  const std::filesystem::path single = dir / "model.safetensors";
  const std::filesystem::path index = dir / "model.safetensors.index.json";
  if (std::filesystem::exists(single)) {
    files_.push_back(std::make_unique<SafetensorsFile>(single));
    for (const auto& [name, view] : files_[0]->tensors()) file_of_[name] = 0;
    listed_in_ = single.filename().string();
    return;
  }
  GS_CHECK(std::filesystem::exists(index),
           dir.string() << ": has neither model.safetensors nor model.safetensors.index.json"
                        << (std::filesystem::exists(dir / "pytorch_model.bin")
                                ? " (PyTorch .bin weights are not supported; convert them to safetensors)"
                                : ""));
  const nlohmann::json root = read_json_file(index);
  GS_CHECK(root.is_object() && root.contains("weight_map") && root["weight_map"].is_object(),
           index.string() << ": has no \"weight_map\" object (tensor name -> shard file)");
  std::map<std::string, std::size_t> numbers;  // open each shard once
  for (const auto& [name, file] : root["weight_map"].items()) {
    GS_CHECK(file.is_string(), index.string() << ": weight_map entry for " << name
                                              << " must be a file name, got " << file.dump());
    const std::string shard = file.get<std::string>();
    GS_CHECK(shard.find('/') == std::string::npos && shard.find("..") == std::string::npos,
             index.string() << ": shard name '" << shard << "' must be a file in the checkpoint's directory");
    auto [it, added] = numbers.emplace(shard, files_.size());
    if (added) files_.push_back(std::make_unique<SafetensorsFile>(dir / shard));
    file_of_[name] = it->second;
  }
  listed_in_ = index.filename().string();
}

const TensorView* SafetensorsShards::find(const std::string& name, const std::string& what) const {
  auto it = file_of_.find(name);
  if (it == file_of_.end()) return nullptr;
  const SafetensorsFile& file = *files_[it->second];
  const TensorView* view = file.find(name);
  GS_CHECK(view, file.path().string() << ": tensor " << name << (what.empty() ? "" : " (" + what + ")")
                                      << " is listed in " << listed_in_ << " but missing from this file");
  return view;
}

}  // namespace gs
