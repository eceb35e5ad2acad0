#include "parallel/communicator.h"

#include <cstdint>
#include <vector>

namespace gs {

std::optional<std::string> Communicator::agree_on_failure(
    const std::optional<std::string>& local_error) {
  const float mine = local_error ? 1.0f : 0.0f;
  std::vector<float> failed(size());
  std::vector<int> ones(size(), 1);
  all_gather(std::span<const float>(&mine, 1), failed, ones);

  int first = -1;
  for (int r = 0; r < size() && first < 0; ++r) {
    if (failed[r] != 0.0f) first = r;
  }
  if (first < 0) return std::nullopt;

  std::uint64_t length = rank() == first ? local_error->size() : 0;
  broadcast(std::as_writable_bytes(std::span(&length, 1)), first);
  std::string message(length, '\0');
  if (rank() == first) message = *local_error;
  broadcast(std::as_writable_bytes(std::span(message.data(), message.size())), first);
  return message;
}

}  // namespace gs
