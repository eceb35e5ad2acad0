// `groupshard bench`: decode and prefill throughput, memory per rank and the
// achieved share of memory bandwidth, over a grid of batch sizes and context
// lengths, for a checkpoint or a random model of any shape (the measuring is in
// bench/; this is the command line and the choreography of the ranks).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "launch/common_options.h"
#include "launch/subcommand.h"
#include "parallel/control_channel.h"

namespace gs {

struct BenchOptions {
  CommonOptions common;
  std::optional<std::string> random_model;  // "h=32,g=8,d=128,layers=8,ffn=5632,vocab=32000"
  std::vector<int> batch = {1};
  std::vector<int> context = {128};
  int gen_tokens = 16;
  int warmup = 1;
  int repeat = 3;
  std::uint64_t seed = 1;
  std::string json;  // file to write, empty = none
  std::string csv;   // file to append to, empty = none
  bool stream = false;
  std::vector<int> prefill_chunk;  // prefill chunk sizes to time, empty = none
};

Subcommand add_bench_command(CLI::App& app, BenchOptions& options);
int run_bench(const BenchOptions& options, ControlChannel& comm);

}  // namespace gs
