// groupshard: one executable, subcommands that run alone (tp = 1) or under mpirun.
//
// Error policy: a phase that can fail on some ranks only (config, checkpoint,
// prompts) ends in a collective verdict, so rank 0 prints one message and every
// rank exits 1. An error after that point, when ranks may be inside a collective,
// aborts the whole job so that no rank hangs.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/check.h"
#include "launch/bench_command.h"
#include "launch/collective_phase.h"
#include "launch/convert_command.h"
#include "launch/eval_command.h"
#include "launch/generate_command.h"
#include "launch/info_command.h"
#include "launch/plan_command.h"
#include "launch/serve_command.h"
#include "launch/subcommand.h"
#include "parallel/mpi_channels.h"

namespace {

int run(int argc, char** argv, gs::ControlChannel& comm) {
  CLI::App app{"groupshard: tensor-parallel inference for grouped-query-attention models"};
  app.require_subcommand(1);
  // Each subcommand registers its flags and returns how to run it once parsed.
  gs::GenerateOptions generate;
  gs::InfoOptions info;
  gs::ConvertOptions convert;
  gs::BenchOptions bench;
  gs::EvalOptions eval;
  gs::PlanOptions plan;
  gs::ServeOptions serve;
  const std::vector<gs::Subcommand> subcommands = {
      gs::add_generate_command(app, generate),
      gs::add_info_command(app, info),
      gs::add_convert_command(app, convert),
      gs::add_bench_command(app, bench),
      gs::add_eval_command(app, eval),
      gs::add_plan_command(app, plan),
      gs::add_serve_command(app, serve),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank parses the same arguments, so every rank fails the same way.
    if (comm.rank() == 0) return app.exit(e);
    return e.get_exit_code();
  }
  for (const gs::Subcommand& subcommand : subcommands) {
    if (subcommand.app->parsed()) return subcommand.run(comm);
  }
  return 1;  // unreachable: require_subcommand(1)
}

// A library that calls exit() mid-run ends this rank with Open MPI's message
// naming neither the rank nor the host; this names them. Disarmed once the run
// returns (errors that abort the job leave through _Exit, which skips it).
struct EarlyExitReport {
  bool armed = false;
  int rank = 0;
  std::string host;
} early_exit;

void report_early_exit() {
  if (early_exit.armed)
    std::fprintf(stderr, "groupshard: rank %d on %s exited before the run finished (exit() called mid-run)\n",
                 early_exit.rank, early_exit.host.c_str());
}

int run_reporting_errors(int argc, char** argv, gs::MpiControlChannel& world) {
  try {
    return run(argc, argv, world);
  } catch (const gs::PhaseFailed& e) {
    if (world.rank() == 0) std::fprintf(stderr, "groupshard: error: %s\n", e.what());
    return 1;
  } catch (const gs::Error& e) {
    std::fprintf(stderr, "groupshard: error (rank %d on %s): %s\n  at %s\n", world.rank(),
                 world.host().c_str(), e.what(), e.where().c_str());
    gs::MpiSession::abort_job(1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "groupshard: internal error (rank %d on %s): %s\n", world.rank(),
                 world.host().c_str(), e.what());
    gs::MpiSession::abort_job(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  gs::MpiSession mpi(&argc, &argv);
  gs::MpiControlChannel world(MPI_COMM_WORLD);
  early_exit = {true, world.rank(), world.host()};
  std::atexit(report_early_exit);
  const int code = run_reporting_errors(argc, argv, world);
  early_exit.armed = false;
  return code;
}
