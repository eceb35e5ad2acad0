#include "parallel/collective_watch.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "common/check.h"

namespace gs {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kReportTag = 1;
// How often a waiting rank looks for another rank's report, and how long a rank
// that gave up listens for the others' before naming the missing ones.
constexpr auto kLookEvery = std::chrono::milliseconds(10);
constexpr auto kListenFor = std::chrono::seconds(1);

std::string rank_list(const std::vector<int>& ranks, const std::vector<std::string>& hosts) {
  std::ostringstream out;
  out << (ranks.size() == 1 ? "rank " : "ranks ");
  for (std::size_t i = 0; i < ranks.size(); ++i)
    out << (i ? ", " : "") << ranks[i] << " on " << hosts[ranks[i]];
  return out.str();
}

}  // namespace

void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  GS_FAIL("MPI " << what << " failed: " << std::string(text, length));
}

CollectiveWatch::CollectiveWatch(MPI_Comm comm) {
  check_mpi(MPI_Comm_dup(comm, &reports_), "Comm_dup");
  check_mpi(MPI_Comm_rank(reports_, &rank_), "Comm_rank");
  check_mpi(MPI_Comm_size(reports_, &size_), "Comm_size");
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  std::vector<char> names(static_cast<std::size_t>(size_) * MPI_MAX_PROCESSOR_NAME);
  check_mpi(MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, names.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR,
                          reports_),
            "Allgather");
  for (int r = 0; r < size_; ++r) hosts_.emplace_back(names.data() + r * MPI_MAX_PROCESSOR_NAME);
}

CollectiveWatch::~CollectiveWatch() { MPI_Comm_free(&reports_); }

void CollectiveWatch::limit_wait(double seconds) {
  GS_CHECK(seconds > 0, "the collective timeout must be positive, got " << seconds << " s");
  limit_ = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

void CollectiveWatch::wait(MPI_Request& request, const char* what) {
  if (!limit_) {
    check_mpi(MPI_Wait(&request, MPI_STATUS_IGNORE), what);
    return;
  }
  int done = 0;
  check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
  if (done) return;
  const Clock::time_point start = Clock::now(), deadline = start + *limit_;
  Clock::time_point next_look = start + kLookEvery;
  for (;;) {
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
    if (done) return;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) end_job(what);
    if (now >= next_look) {
      if (another_rank_gave_up()) end_job(what);
      next_look = now + kLookEvery;
    }
  }
}

bool CollectiveWatch::another_rank_gave_up() {
  int arrived = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, kReportTag, reports_, &arrived, MPI_STATUS_IGNORE);
  return arrived != 0;
}

void CollectiveWatch::end_job(const char* what) {
  // Tell every other rank that this one is waiting; the sends need not complete.
  const int waiting_flag = 1;
  std::vector<MPI_Request> sends(size_, MPI_REQUEST_NULL);
  for (int r = 0; r < size_; ++r)
    if (r != rank_) MPI_Isend(&waiting_flag, 1, MPI_INT, r, kReportTag, reports_, &sends[r]);

  std::vector<bool> waiting(size_, false);
  waiting[rank_] = true;
  int heard = 1;
  for (const Clock::time_point until = Clock::now() + kListenFor; heard < size_ && Clock::now() < until;) {
    int arrived = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kReportTag, reports_, &arrived, &status);
    if (!arrived) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    int flag = 0;
    MPI_Recv(&flag, 1, MPI_INT, status.MPI_SOURCE, kReportTag, reports_, MPI_STATUS_IGNORE);
    if (!waiting[status.MPI_SOURCE]) ++heard;
    waiting[status.MPI_SOURCE] = true;
  }

  std::vector<int> missing, waited;
  for (int r = 0; r < size_; ++r) (waiting[r] ? waited : missing).push_back(r);
  if (waited.front() == rank_) {
    std::ostringstream message;
    const std::chrono::duration<double> limit = *limit_;
    if (missing.empty())
      message << "every rank has waited in the " << what << " for runtime.collective_timeout_s = "
              << limit.count() << " s: the collective itself hangs";
    else
      message << rank_list(missing, hosts_) << (missing.size() == 1 ? " has" : " have") << " not joined the "
              << what << " that " << rank_list(waited, hosts_) << (waited.size() == 1 ? " has" : " have")
              << " waited in for runtime.collective_timeout_s = " << limit.count() << " s: stopped or stuck";
    std::fprintf(stderr, "groupshard: error: %s; ending the job\n", message.str().c_str());
    std::fflush(stderr);
  } else {
    // The lowest waiting rank reports and aborts; this one follows if it did not.
    std::this_thread::sleep_for(2 * kListenFor);
  }
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

}  // namespace gs
