#include "tests/fuzz/input_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace gs::fuzz {

std::string input_file(const std::uint8_t* data, std::size_t size) {
  static const int fd = memfd_create("fuzz_input", 0);
  if (fd < 0 || ftruncate(fd, 0) != 0 ||
      pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
    std::perror("fuzz input file");
    std::abort();
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace gs::fuzz
