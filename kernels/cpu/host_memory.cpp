#include "kernels/cpu/host_memory.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "common/check.h"

namespace gs::kernels::cpu {

namespace {
void unmap(void* data, std::size_t bytes) { munmap(data, bytes); }
void free_aligned(void* data, std::size_t) { std::free(data); }

// Below this a mapping's page rounding would cost more than it saves (norms, biases).
constexpr std::size_t kSmallestMapping = 64 * 1024;
}  // namespace

Buffer allocate_pages(std::size_t bytes) {
  if (bytes == 0) return {};
  if (bytes < kSmallestMapping) {
    const std::size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    GS_CHECK(p != nullptr, "out of host memory allocating " << bytes << " bytes");
    std::memset(p, 0, rounded);
    return Buffer(p, bytes, MemorySpace::host, free_aligned);
  }
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  GS_CHECK(p != MAP_FAILED, "out of host memory allocating " << bytes << " bytes");
  madvise(p, bytes, MADV_HUGEPAGE);  // a hint: without THP the mapping still works
  return Buffer(p, bytes, MemorySpace::host, unmap);
}

}  // namespace gs::kernels::cpu
