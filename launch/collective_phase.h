// Runs a phase that may fail on some ranks only (reading a config, a checkpoint
// slice, a prompt) and makes every rank reach the same verdict: if any rank
// failed, every rank throws PhaseFailed with the first failing rank's message,
// so no rank is left waiting in a collective and the message is printed once.
#pragma once

#include <exception>
#include <optional>
#include <string>

#include "common/check.h"
#include "parallel/control_channel.h"

namespace gs {

struct PhaseFailed : Error {
  using Error::Error;
};

template <typename Phase>
void run_collective_phase(ControlChannel& comm, Phase&& phase) {
  std::optional<std::string> error;
  try {
    phase();
  } catch (const Error& e) {
    error = e.what();
  } catch (const std::exception& e) {
    error = std::string("unexpected failure: ") + e.what();
  }
  if (error && comm.rank() != 0) *error = "rank " + std::to_string(comm.rank()) + " on " + comm.host() + ": " + *error;
  if (std::optional<std::string> first = comm.agree_on_failure(error)) throw PhaseFailed(*first);
}

}  // namespace gs
