// Communicator: the collectives that stitch a tensor-parallel layer together.
//
// One interface, an MPI implementation for CPU ranks now and an NCCL one for GPU
// ranks later. Every rank of the group must make the same calls in the same order.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace gs {

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string host() const = 0;

  // data = elementwise sum of data over all ranks.
  virtual void all_reduce_sum(std::span<float> data) = 0;
  // out = the ranks' local spans concatenated in rank order; counts[r] is rank r's
  // length (uneven slices allowed).
  virtual void all_gather(std::span<const float> local, std::span<float> out,
                          std::span<const int> counts) = 0;
  // Like all_gather, but only root receives; out is ignored elsewhere.
  virtual void gather(std::span<const float> local, std::span<float> out,
                      std::span<const int> counts, int root) = 0;
  virtual void broadcast(std::span<std::byte> data, int root) = 0;
  virtual void barrier() = 0;

  // Collective verdict after a phase that may fail on some ranks only (loading a
  // slice, reading a prompt): every rank passes its own error, if any, and every
  // rank gets back the message of the lowest failing rank, or nothing.
  std::optional<std::string> agree_on_failure(const std::optional<std::string>& local_error);
};

}  // namespace gs
