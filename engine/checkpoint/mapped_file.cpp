#include "engine/checkpoint/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/check.h"

namespace gs {

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  GS_CHECK(fd >= 0, path.string() << ": cannot open: " << std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    GS_FAIL(path.string() << ": cannot stat: " << std::strerror(error));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    GS_FAIL(path.string() << ": not a regular file");
  }
  size_ = static_cast<std::size_t>(info.st_size);
  if (size_ > 0) {
    void* mapping = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    const int error = errno;
    ::close(fd);  // the mapping keeps the file alive
    GS_CHECK(mapping != MAP_FAILED,
             path.string() << ": cannot map " << size_ << " bytes: " << std::strerror(error));
    data_ = static_cast<const std::byte*>(mapping);
  } else {
    ::close(fd);
  }
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

}  // namespace gs
