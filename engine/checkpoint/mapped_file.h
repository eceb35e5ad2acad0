// MappedFile: a whole file mapped read-only. Checkpoint readers hand out views
// into the mapping, so only the pages a rank actually copies are ever read.
#pragma once

#include <cstddef>
#include <filesystem>

namespace gs {

class MappedFile {
 public:
  // Throws gs::Error naming the path if it is missing, not a regular file or
  // unreadable. An empty file maps as size 0 with data() == nullptr.
  explicit MappedFile(const std::filesystem::path& path);
  // Unmaps, so pages not copied elsewhere stop counting as resident.
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace gs
