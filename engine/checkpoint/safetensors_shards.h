// The safetensors files of a Hugging Face checkpoint directory: model.safetensors,
// or the shards model.safetensors.index.json lists (each opened once). Shared by
// every family's reader.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/checkpoint/safetensors_reader.h"

namespace gs {

class SafetensorsShards {
 public:
  // Throws gs::Error naming the directory when it holds neither file, or the index
  // when it is malformed.
  explicit SafetensorsShards(const std::filesystem::path& dir);

  // The tensor's view; null when no file lists it. Throws when the index lists it
  // in a shard that lacks it; `what` (e.g. the weight's role) goes in the message.
  const TensorView* find(const std::string& name, const std::string& what = "") const;
  // The file holding a tensor find() returned, for messages.
  const std::filesystem::path& path_of(const std::string& name) const { return files_[file_of_.at(name)]->path(); }
  // The file that lists the tensors, for messages.
  const std::string& listed_in() const { return listed_in_; }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, std::size_t> file_of_;  // tensor name -> index into files_
  std::string listed_in_;
};

}  // namespace gs
