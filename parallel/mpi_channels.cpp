#include "parallel/mpi_channels.h"

#include <chrono>
#include <cstdlib>
#include <numeric>
#include <thread>
#include <vector>

#include "common/check.h"

namespace gs {

namespace {

void rank_and_size(MPI_Comm comm, int& rank, int& size) {
  check_mpi(MPI_Comm_rank(comm, &rank), "Comm_rank");
  check_mpi(MPI_Comm_size(comm, &size), "Comm_size");
}

// MPI moves host f32 here; device tensors need a staging channel or NCCL.
void check_host_f32(const TensorSpan& t, const char* what) {
  GS_CHECK(t.space == kernels::MemorySpace::host,
           "the MPI tensor channel's " << what << " got a tensor in device memory; use collectives: nccl");
  GS_CHECK(t.type == DType::f32,
           "the MPI tensor channel's " << what << " supports f32 tensors, got " << dtype_name(t.type));
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

MpiControlChannel::MpiControlChannel(MPI_Comm comm) : comm_(comm) { rank_and_size(comm_, rank_, size_); }

std::string MpiControlChannel::host() const {
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  MPI_Get_processor_name(name, &length);
  return std::string(name, length);
}

void MpiControlChannel::broadcast(std::span<std::byte> data, int root) {
  check_mpi(MPI_Bcast(data.data(), static_cast<int>(data.size()), MPI_BYTE, root, comm_), "Bcast");
}

void MpiControlChannel::await_broadcast(std::span<std::byte> data, int root) {
  using Clock = std::chrono::steady_clock;
  MPI_Request request;
  check_mpi(MPI_Ibcast(data.data(), static_cast<int>(data.size()), MPI_BYTE, root, comm_, &request), "Ibcast");
  const auto start = Clock::now();
  auto nap = std::chrono::microseconds(50);
  for (;;) {
    int done = 0;
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "Test");
    if (done) return;
    if (Clock::now() - start < std::chrono::milliseconds(2)) continue;
    std::this_thread::sleep_for(nap);
    nap = std::min(2 * nap, std::chrono::microseconds(1000));
  }
}

void MpiControlChannel::all_gather(std::span<const std::byte> local, std::span<std::byte> out) {
  GS_CHECK(out.size() == local.size() * static_cast<std::size_t>(size_),
           "all_gather: the output holds " << out.size() << " bytes, not " << size_ << " x " << local.size());
  check_mpi(MPI_Allgather(local.data(), static_cast<int>(local.size()), MPI_BYTE, out.data(),
                          static_cast<int>(local.size()), MPI_BYTE, comm_),
            "Allgather");
}

void MpiControlChannel::barrier() { check_mpi(MPI_Barrier(comm_), "Barrier"); }

MpiTensorChannel::MpiTensorChannel(MPI_Comm comm) : comm_(comm), watch_(comm) {
  rank_and_size(comm_, rank_, size_);
  displacements_.resize(size_);
}

void MpiTensorChannel::all_reduce_sum(TensorSpan data, kernels::Stream) {
  check_host_f32(data, "all_reduce_sum");
  MPI_Request request;
  check_mpi(MPI_Iallreduce(MPI_IN_PLACE, data.data, static_cast<int>(data.count), MPI_FLOAT, MPI_SUM, comm_,
                           &request),
            "Iallreduce");
  watch_.wait(request, "all-reduce");
}

void MpiTensorChannel::all_gather(TensorSpan local, TensorSpan out, std::span<const int> counts,
                                  kernels::Stream) {
  check_host_f32(local, "all_gather");
  check_host_f32(out, "all_gather");
  GS_CHECK(static_cast<int>(counts.size()) == size_ && counts[rank_] == static_cast<int>(local.count),
           "all_gather: counts do not match the communicator or this rank's slice");
  const int* displs = displacements(counts);
  MPI_Request request;
  check_mpi(MPI_Iallgatherv(local.data, static_cast<int>(local.count), MPI_FLOAT, out.data, counts.data(),
                            displs, MPI_FLOAT, comm_, &request),
            "Iallgatherv");
  watch_.wait(request, "all-gather");
}

void MpiTensorChannel::gather(TensorSpan local, TensorSpan out, std::span<const int> counts, int root,
                              kernels::Stream) {
  check_host_f32(local, "gather");
  if (rank_ == root) check_host_f32(out, "gather");
  GS_CHECK(static_cast<int>(counts.size()) == size_ && counts[rank_] == static_cast<int>(local.count),
           "gather: counts do not match the communicator or this rank's slice");
  const int* displs = displacements(counts);
  MPI_Request request;
  check_mpi(MPI_Igatherv(local.data, static_cast<int>(local.count), MPI_FLOAT, out.data, counts.data(), displs,
                         MPI_FLOAT, root, comm_, &request),
            "Igatherv");
  watch_.wait(request, "gather");
}

const int* MpiTensorChannel::displacements(std::span<const int> counts) {
  std::exclusive_scan(counts.begin(), counts.end(), displacements_.begin(), 0);
  return displacements_.data();
}

int mpi_ranks_on_this_host() {
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
  int size = 1;
  MPI_Comm_size(local, &size);
  MPI_Comm_free(&local);
  return size;
}

}  // namespace gs
