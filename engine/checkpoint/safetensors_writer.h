// Streams tensors into a .safetensors file: the header (all names, dtypes, shapes
// and offsets) is written first, then each tensor's bytes in declaration order,
// so a converter holds at most one tensor in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/dtype.h"

namespace gs {

struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
};

class SafetensorsWriter {
 public:
  SafetensorsWriter(const std::filesystem::path& path, std::vector<SafetensorsEntry> entries,
                    const std::map<std::string, std::string>& metadata = {});
  // Writes the next tensor (entries must be written in order); bytes must be the
  // entry's element count times its dtype size.
  void write_next(std::span<const std::byte> bytes);
  // Checks every tensor was written and flushes; throws on I/O errors.
  void finish();

 private:
  std::filesystem::path path_;
  std::vector<SafetensorsEntry> entries_;
  std::size_t next_ = 0;
  std::ofstream out_;
};

}  // namespace gs
