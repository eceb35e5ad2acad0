// `groupshard serve`: the OpenAI-compatible HTTP server on rank 0 with continuous
// batching; the other ranks run the steps rank 0 sends until it stops them
// (SIGINT/SIGTERM on rank 0: stop accepting, cancel what runs, release every rank).
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "launch/common_options.h"
#include "launch/subcommand.h"
#include "parallel/control_channel.h"

namespace gs {

struct ServeOptions {
  CommonOptions common;
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<int> max_queue;
  std::optional<std::string> api_key;
  std::optional<std::string> chat_template;
  std::optional<std::string> model_name;
};

Subcommand add_serve_command(CLI::App& app, ServeOptions& options);
int run_serve(const ServeOptions& options, ControlChannel& comm);

}  // namespace gs
