// CollectiveWatch: waits for the MPI tensor channel's non-blocking collectives (a
// step's), against a deadline once one is set (runtime.collective_timeout_s). A rank that is alive but
// stuck — stopped, spinning, blocked on a dead file system — never joins the
// collective; Open MPI notices dead ranks, not stuck ones. When a rank's wait passes
// the deadline it tells the other ranks it is waiting (point to point, on its own
// duplicate of the communicator), listens a moment for theirs, and the lowest waiting
// rank prints one message naming the ranks that never came and their hosts; then
// MPI_Abort ends the job.
#pragma once

#include <mpi.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace gs {

class CollectiveWatch {
 public:
  // Collective over comm: duplicates it and gathers every rank's host name.
  explicit CollectiveWatch(MPI_Comm comm);
  ~CollectiveWatch();
  CollectiveWatch(const CollectiveWatch&) = delete;
  CollectiveWatch& operator=(const CollectiveWatch&) = delete;

  // From now on, a collective not complete after `seconds` ends the job
  // (without a limit, the wait is MPI_Wait's).
  void limit_wait(double seconds);

  // Waits for `request`, a collective named `what` ("all-reduce"); an MPI error
  // becomes gs::Error.
  void wait(MPI_Request& request, const char* what);

 private:
  [[noreturn]] void end_job(const char* what);
  bool another_rank_gave_up();

  MPI_Comm reports_;  // a duplicate of the watched communicator, for the ranks' reports
  int rank_ = 0;
  int size_ = 1;
  std::vector<std::string> hosts_;  // (size)
  std::optional<std::chrono::steady_clock::duration> limit_;
};

// An MPI return code as gs::Error: "MPI <what> failed: <MPI's text>".
void check_mpi(int code, const char* what);

}  // namespace gs
