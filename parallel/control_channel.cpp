#include "parallel/control_channel.h"

#include <cstdint>
#include <vector>

namespace gs {

std::optional<std::string> ControlChannel::agree_on_failure(
    const std::optional<std::string>& local_error) {
  const std::byte mine{static_cast<unsigned char>(local_error ? 1 : 0)};
  std::vector<std::byte> failed(size());
  all_gather(std::span<const std::byte>(&mine, 1), failed);

  int first = -1;
  for (int r = 0; r < size() && first < 0; ++r) {
    if (failed[r] != std::byte{0}) first = r;
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
