// GoogleTest main for tests that run under mpirun: every rank runs every test,
// only rank 0 prints, and the ranks agree on one verdict (the job fails if any
// rank saw a failure), so no rank exits early while others wait in a collective.
#include <gtest/gtest.h>
#include <mpi.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0, any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (any_failed && rank != 0 && failed)
    std::fprintf(stderr, "rank %d had failures (its output is suppressed; rerun with -np 1)\n", rank);
  MPI_Finalize();
  return any_failed;
}
