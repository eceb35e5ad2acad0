// ControlChannel: host bytes between the ranks of a job — step headers from rank 0,
// failure verdicts, NCCL's unique id. Tensors travel on the TensorChannel
// (parallel/tensor_channel.h), which may be another library on other memory.
// Every rank of the group must make the same calls in the same order.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace gs {

class ControlChannel {
 public:
  virtual ~ControlChannel() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string host() const = 0;

  virtual void broadcast(std::span<std::byte> data, int root) = 0;
  // A broadcast the root may send much later (a server's next step, after minutes
  // without requests): the other ranks wait for it without keeping a core busy.
  // Every rank must call this one, not broadcast(), for the same message.
  virtual void await_broadcast(std::span<std::byte> data, int root) { broadcast(data, root); }
  // out (size() * local.size()) = every rank's `local`, in rank order.
  virtual void all_gather(std::span<const std::byte> local, std::span<std::byte> out) = 0;
  virtual void barrier() = 0;

  // Collective verdict after a phase that may fail on some ranks only (loading a
  // slice, reading a prompt): every rank passes its own error, if any, and every
  // rank gets back the message of the lowest failing rank, or nothing.
  std::optional<std::string> agree_on_failure(const std::optional<std::string>& local_error);
};

}  // namespace gs
