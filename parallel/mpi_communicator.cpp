#include "parallel/mpi_communicator.h"

#include <cstdlib>
#include <numeric>
#include <vector>

#include "kernels/check.h"

namespace gs {

namespace {

void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  GS_FAIL("MPI " << what << " failed: " << std::string(text, length));
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  // Errors come back as codes so they become gs::Error with a message.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

MpiSession::~MpiSession() { MPI_Finalize(); }

void MpiSession::abort_job(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

MpiCommunicator::MpiCommunicator(MPI_Comm comm) : comm_(comm) {
  check_mpi(MPI_Comm_rank(comm_, &rank_), "Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "Comm_size");
  displacements_.resize(size_);
}

std::string MpiCommunicator::host() const {
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  MPI_Get_processor_name(name, &length);
  return std::string(name, length);
}

void MpiCommunicator::all_reduce_sum(std::span<float> data) {
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), MPI_FLOAT,
                          MPI_SUM, comm_),
            "Allreduce");
}

void MpiCommunicator::all_gather(std::span<const float> local, std::span<float> out,
                                 std::span<const int> counts) {
  GS_CHECK(static_cast<int>(counts.size()) == size_ && counts[rank_] == static_cast<int>(local.size()),
           "all_gather: counts do not match the communicator or this rank's slice");
  const int* displs = displacements(counts);
  check_mpi(MPI_Allgatherv(local.data(), static_cast<int>(local.size()), MPI_FLOAT, out.data(),
                           counts.data(), displs, MPI_FLOAT, comm_),
            "Allgatherv");
}

void MpiCommunicator::gather(std::span<const float> local, std::span<float> out,
                             std::span<const int> counts, int root) {
  GS_CHECK(static_cast<int>(counts.size()) == size_ && counts[rank_] == static_cast<int>(local.size()),
           "gather: counts do not match the communicator or this rank's slice");
  const int* displs = displacements(counts);
  check_mpi(MPI_Gatherv(local.data(), static_cast<int>(local.size()), MPI_FLOAT, out.data(),
                        counts.data(), displs, MPI_FLOAT, root, comm_),
            "Gatherv");
}

const int* MpiCommunicator::displacements(std::span<const int> counts) {
  std::exclusive_scan(counts.begin(), counts.end(), displacements_.begin(), 0);
  return displacements_.data();
}

void MpiCommunicator::broadcast(std::span<std::byte> data, int root) {
  check_mpi(MPI_Bcast(data.data(), static_cast<int>(data.size()), MPI_BYTE, root, comm_), "Bcast");
}

void MpiCommunicator::barrier() { check_mpi(MPI_Barrier(comm_), "Barrier"); }

int mpi_ranks_on_this_host() {
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
  int size = 1;
  MPI_Comm_size(local, &size);
  MPI_Comm_free(&local);
  return size;
}

}  // namespace gs
