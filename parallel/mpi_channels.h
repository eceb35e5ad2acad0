// MPI implementations of the control channel and of the tensor channel for
// tensors in host memory (CPU ranks). The tensor channel's collectives (a step's)
// are MPI's non-blocking ones, waited for by a CollectiveWatch: with a time limit
// set, a rank that never joins ends the job with a message naming it. The control
// channel's wait as long as it takes: rank 0 may wait for its user (a prompt, a
// request) while the others wait for its next step.
#pragma once

#include <mpi.h>

#include <vector>

#include "parallel/collective_watch.h"
#include "parallel/control_channel.h"
#include "parallel/tensor_channel.h"

namespace gs {

// Initialises MPI for the process (a singleton when not started by mpirun) and
// finalises it on destruction.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  // Ends every rank of the job at once: the way out for an error some ranks did
  // not see, so that no rank waits forever in a collective.
  [[noreturn]] static void abort_job(int exit_code);
};

class MpiControlChannel : public ControlChannel {
 public:
  explicit MpiControlChannel(MPI_Comm comm);

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string host() const override;

  void broadcast(std::span<std::byte> data, int root) override;
  // A non-blocking broadcast, polled: briefly back to back (the next step's header
  // usually follows within microseconds), then with sleeps that grow to a
  // millisecond. Open MPI's blocking wait spins a core at 100 % however long it waits.
  void await_broadcast(std::span<std::byte> data, int root) override;
  void all_gather(std::span<const std::byte> local, std::span<std::byte> out) override;
  void barrier() override;

 private:
  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
};

// f32 tensors in host memory; the stream is ignored (MPI calls complete in place).
class MpiTensorChannel final : public TensorChannel {
 public:
  explicit MpiTensorChannel(MPI_Comm comm);

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return "mpi"; }

  void all_reduce_sum(TensorSpan data, kernels::Stream stream) override;
  void all_gather(TensorSpan local, TensorSpan out, std::span<const int> counts,
                  kernels::Stream stream) override;
  void gather(TensorSpan local, TensorSpan out, std::span<const int> counts, int root,
              kernels::Stream stream) override;

  // A collective not complete after `seconds` ends the job (CollectiveWatch).
  void limit_collective_wait(double seconds) { watch_.limit_wait(seconds); }

 private:
  // Offsets of each rank's block for the v-collectives, into a buffer sized once
  // (the logits gather runs every decode step and must not allocate).
  const int* displacements(std::span<const int> counts);

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
  std::vector<int> displacements_;  // (size)
  CollectiveWatch watch_;
};

// Both channels over one MPI communicator, as CPU ranks use them: the control
// channel, carrying its tensor channel.
class MpiChannels : public MpiControlChannel {
 public:
  explicit MpiChannels(MPI_Comm comm) : MpiControlChannel(comm), tensors(comm) {}

  MpiTensorChannel tensors;
};

// Number of ranks of MPI_COMM_WORLD on this host, to split the cores fairly.
int mpi_ranks_on_this_host();

}  // namespace gs
