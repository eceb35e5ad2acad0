// SafetensorsFile: one .safetensors file, mapped and validated. Layout: an 8-byte
// little-endian header length N, N bytes of JSON
//   {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}
// then the data region, which offsets are relative to.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "engine/checkpoint/mapped_file.h"
#include "engine/checkpoint/weight_source.h"

namespace gs {

class SafetensorsFile {
 public:
  // Throws gs::Error naming the file (and tensor) for any malformed header entry:
  // bad length, invalid JSON, missing or ill-typed fields, unsupported dtype,
  // offsets outside the data region or disagreeing with dtype and shape.
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_.path(); }
  // The tensor's view into the mapping, or nullptr if the file has no such tensor.
  const TensorView* find(const std::string& name) const;
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  MappedFile file_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace gs
