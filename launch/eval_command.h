// `groupshard eval`: perplexity of the model on a text file, under any tp. Rank 0
// reads and tokenizes the text, drives the windows (engine/perplexity.h) and
// prints the result; the other ranks serve the forward steps.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "launch/common_options.h"
#include "launch/subcommand.h"
#include "parallel/control_channel.h"

namespace gs {

struct EvalOptions {
  CommonOptions common;
  std::string text;               // path of the text file
  std::optional<int> max_tokens;  // predicted tokens at most (from the start of the text)
  std::optional<int> context;     // window length; default: the KV cache's positions
  bool json = false;
};

Subcommand add_eval_command(CLI::App& app, EvalOptions& options);
int run_eval(const EvalOptions& options, ControlChannel& comm);

}  // namespace gs
