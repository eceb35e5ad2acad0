// A registered subcommand: its CLI11 app (to see whether it was chosen) and the
// function that runs it on every rank once the arguments are parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "parallel/control_channel.h"

namespace gs {

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int(ControlChannel&)> run;
};

}  // namespace gs
