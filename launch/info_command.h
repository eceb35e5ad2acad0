// `groupshard info`: the model's config and the ShardPlan of every rank for any
// tp, without mpirun and without loading weights.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "launch/subcommand.h"
#include "parallel/control_channel.h"

namespace gs {

struct InfoOptions {
  std::string model;
  int tp = 1;
  std::string strategy = "group";
  bool json = false;
};

Subcommand add_info_command(CLI::App& app, InfoOptions& options);
int run_info(const InfoOptions& options, ControlChannel& comm);

}  // namespace gs
