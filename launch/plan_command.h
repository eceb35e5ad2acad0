// `groupshard plan`: the analytic cost of one decode step per rank (bytes, FLOPs,
// collectives, roofline time) for a model on a hardware profile, from the engine's
// ShardPlan; no weights are loaded and no mpirun is needed.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "launch/subcommand.h"
#include "parallel/control_channel.h"

namespace gs {

struct PlanOptions {
  std::string model;  // preset name, config.json, Hugging Face directory or llama2.c .bin
  int tp = 1;
  int hosts = 0;      // 0: as few as hold tp devices
  std::optional<int> kv_groups;
  std::string strategy = "group";
  int batch = 1;
  int context = 0;          // 0: the model's max_seq_len
  int encoder_context = 0;  // 0: same as context (encoder-decoder models)
  std::string dtype = "bf16";
  std::string hardware = "h100-sxm";
  std::optional<double> bandwidth;  // GB/s
  std::optional<double> tflops;
  bool json = false;
  bool sweep_groups = false;
};

Subcommand add_plan_command(CLI::App& app, PlanOptions& options);
int run_plan(const PlanOptions& options, ControlChannel& comm);

}  // namespace gs
