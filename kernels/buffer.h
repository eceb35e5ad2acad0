// Buffer: memory a backend allocated and owns, in the backend's memory space
// (host memory for the CPU backends, device memory for CUDA). Ops take the
// backend's own pointers; only upload/download cross between host and backend.
#pragma once

#include <cstddef>
#include <utility>

namespace gs::kernels {

enum class MemorySpace { host, device };

// The queue a backend runs its ops on, opaque outside the backend: a cudaStream_t
// on CUDA, null on the CPU backends (their ops finish before they return).
using Stream = void*;

class Buffer {
 public:
  using Release = void (*)(void* data, std::size_t bytes);

  Buffer() = default;
  Buffer(void* data, std::size_t bytes, MemorySpace space, Release release)
      : data_(data), bytes_(bytes), space_(space), release_(release) {}
  Buffer(Buffer&& other) noexcept { *this = std::move(other); }
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
      space_ = other.space_;
      release_ = std::exchange(other.release_, nullptr);
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { reset(); }

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  MemorySpace space() const { return space_; }
  bool empty() const { return bytes_ == 0; }
  template <typename T>
  T* as() const { return static_cast<T*>(data_); }

 private:
  void reset() {
    if (release_ != nullptr && data_ != nullptr) release_(data_, bytes_);
    data_ = nullptr;
    bytes_ = 0;
  }

  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  MemorySpace space_ = MemorySpace::host;
  Release release_ = nullptr;
};

}  // namespace gs::kernels
