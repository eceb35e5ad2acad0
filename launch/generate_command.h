// `groupshard generate`: prompts in, completions out, on every rank of the job.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/generator.h"
#include "launch/common_options.h"
#include "launch/subcommand.h"
#include "parallel/control_channel.h"

namespace gs {

struct GenerateOptions {
  CommonOptions common;
  std::vector<std::string> prompts;     // text, encoded with BOS and a leading space
  std::vector<std::string> prompt_ids;  // "1,2,3" each, used as given
  std::optional<int> max_tokens;
  std::optional<float> temperature;
  std::optional<int> top_k;
  std::optional<float> top_p;
  std::optional<std::uint64_t> seed;
  bool ignore_eos = false;
  bool json = false;
};

Subcommand add_generate_command(CLI::App& app, GenerateOptions& options);
// The config file with the flags on top, and the generation settings it gives
// (sampling validated). Shared by every model family's generate.
RunConfig resolve_generate_config(const GenerateOptions& options, GenerationOptions& generation);
int run_generate(const GenerateOptions& options, ControlChannel& comm);

}  // namespace gs
