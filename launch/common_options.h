// Flags shared by the subcommands that run a model; each overrides its key of the
// YAML config when given.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "launch/run_config.h"

namespace gs {

struct CommonOptions {
  std::string config_file;
  std::optional<std::string> model;
  std::optional<std::string> tokenizer;
  std::optional<std::string> strategy;
  std::optional<std::string> backend;
  std::optional<int> device;
  bool cuda_graphs = false;
  std::optional<std::string> collectives;
  std::optional<std::string> weight_dtype;
  std::optional<std::string> kv_dtype;
  std::optional<int> threads;
  std::optional<int> max_seq_len;
  std::optional<int> max_batch;
  std::optional<int> max_step_tokens;
  std::optional<int> kv_block_size;
  std::optional<int> kv_cache_tokens;
  bool verbose = false;
};

void add_common_options(CLI::App& command, CommonOptions& options);

// The config file (if any) with the flags applied on top; requires a model path.
RunConfig resolve_run_config(const CommonOptions& options);

}  // namespace gs
