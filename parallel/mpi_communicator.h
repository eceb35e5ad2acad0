// MPI implementation of the Communicator, for CPU ranks.
#pragma once

#include <mpi.h>

#include <vector>

#include "parallel/communicator.h"

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

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm comm);

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string host() const override;

  void all_reduce_sum(std::span<float> data) override;
  void all_gather(std::span<const float> local, std::span<float> out,
                  std::span<const int> counts) override;
  void gather(std::span<const float> local, std::span<float> out, std::span<const int> counts,
              int root) override;
  void broadcast(std::span<std::byte> data, int root) override;
  void barrier() override;

 private:
  // Offsets of each rank's block for the v-collectives, into a buffer sized once
  // (the logits gather runs every decode step and must not allocate).
  const int* displacements(std::span<const int> counts);

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
  std::vector<int> displacements_;  // (size)
};

// Number of ranks of MPI_COMM_WORLD on this host, to split the cores fairly.
int mpi_ranks_on_this_host();

}  // namespace gs
