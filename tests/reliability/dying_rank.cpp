// libdying_rank.so: preloaded into the real groupshard ranks by the
// rank-failure tests (mpirun -x LD_PRELOAD=...), so the product carries no
// test hook. Through MPI's profiling interface it counts the collectives a rank's
// channels start (the tensor channel's non-blocking ones under their blocking names:
// MPI_Iallreduce counts as Allreduce) and, on the rank and call named by GS_TEST_DIE,
// makes that rank fail:
//   GS_TEST_DIE=RANK:FUNCTION:CALL:HOW   e.g. 1:Allreduce:40:kill
// FUNCTION: Allreduce | Allgather | Allgatherv | Gatherv | Bcast | Barrier, the call numbered
// from 1. HOW: kill (SIGKILL itself), stop (SIGSTOP itself: alive but stuck, which
// only runtime.collective_timeout_s ends), exit (exit(3) without MPI_Finalize,
// as a library giving up would), error (the MPI call returns an error, which the
// engine reports as gs::Error). Before failing it writes the wall time in ms to
// GS_TEST_RUN_DIR/died_ms; every rank writes its pid to GS_TEST_RUN_DIR/rank<N>.pid
// at MPI_Init, so the test can check that all of them are gone.
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int world_rank = -1;
int die_rank = -1;
char die_function[32] = "";
long die_call = 0;
char die_how[16] = "";
long calls = 0;

void write_file(const std::string& name, long long value) {
  const char* dir = std::getenv("GS_TEST_RUN_DIR");
  if (!dir) return;
  if (FILE* f = std::fopen((std::string(dir) + "/" + name).c_str(), "w")) {
    std::fprintf(f, "%lld\n", value);
    std::fclose(f);
  }
}

void after_init() {
  PMPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  write_file("rank" + std::to_string(world_rank) + ".pid", getpid());
  if (const char* spec = std::getenv("GS_TEST_DIE"))
    std::sscanf(spec, "%d:%31[A-Za-z]:%ld:%15s", &die_rank, die_function, &die_call, die_how);
}

// MPI_SUCCESS to go on, or the error code an `error` failure returns.
int maybe_fail(const char* function) {
  if (world_rank != die_rank || std::strcmp(function, die_function) != 0 || ++calls != die_call)
    return MPI_SUCCESS;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  write_file("died_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  if (std::strcmp(die_how, "kill") == 0) raise(SIGKILL);
  if (std::strcmp(die_how, "stop") == 0) {
    raise(SIGSTOP);
    return MPI_SUCCESS;  // continued (Open MPI sends SIGCONT before it kills): the call goes on
  }
  if (std::strcmp(die_how, "exit") == 0) std::exit(3);
  return MPI_ERR_OTHER;
}

}  // namespace

extern "C" {

int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
  const int rc = PMPI_Init_thread(argc, argv, required, provided);
  after_init();
  return rc;
}

int MPI_Iallreduce(const void* send, void* receive, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                   MPI_Request* request) {
  if (const int rc = maybe_fail("Allreduce")) return rc;
  return PMPI_Iallreduce(send, receive, count, type, op, comm, request);
}

int MPI_Allgather(const void* send, int send_count, MPI_Datatype send_type, void* receive, int receive_count,
                  MPI_Datatype receive_type, MPI_Comm comm) {
  if (const int rc = maybe_fail("Allgather")) return rc;
  return PMPI_Allgather(send, send_count, send_type, receive, receive_count, receive_type, comm);
}

int MPI_Iallgatherv(const void* send, int send_count, MPI_Datatype send_type, void* receive,
                    const int receive_counts[], const int displacements[], MPI_Datatype receive_type,
                    MPI_Comm comm, MPI_Request* request) {
  if (const int rc = maybe_fail("Allgatherv")) return rc;
  return PMPI_Iallgatherv(send, send_count, send_type, receive, receive_counts, displacements, receive_type,
                          comm, request);
}

int MPI_Igatherv(const void* send, int send_count, MPI_Datatype send_type, void* receive,
                 const int receive_counts[], const int displacements[], MPI_Datatype receive_type, int root,
                 MPI_Comm comm, MPI_Request* request) {
  if (const int rc = maybe_fail("Gatherv")) return rc;
  return PMPI_Igatherv(send, send_count, send_type, receive, receive_counts, displacements, receive_type, root,
                       comm, request);
}

int MPI_Bcast(void* data, int count, MPI_Datatype type, int root, MPI_Comm comm) {
  if (const int rc = maybe_fail("Bcast")) return rc;
  return PMPI_Bcast(data, count, type, root, comm);
}

int MPI_Barrier(MPI_Comm comm) {
  if (const int rc = maybe_fail("Barrier")) return rc;
  return PMPI_Barrier(comm);
}

}  // extern "C"
