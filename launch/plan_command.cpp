#include "launch/plan_command.h"

#include <iostream>

#include <nlohmann/json.hpp>

#include "engine/planner/decode_report.h"
#include "launch/collective_phase.h"

namespace gs {

namespace {

std::string names(const std::vector<std::string>& list) {
  std::string text;
  for (const std::string& name : list) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

Subcommand add_plan_command(CLI::App& app, PlanOptions& o) {
  CLI::App* cmd = app.add_subcommand("plan", "analytic cost of one decode step per rank (no weights loaded)");
  cmd->add_option("--model", o.model, "preset (" + names(planner::preset_names()) +
                                           "), config.json, Hugging Face directory or llama2.c .bin")
      ->required();
  cmd->add_option("--tp", o.tp, "tensor-parallel ranks");
  cmd->add_option("--hosts", o.hosts, "hosts the ranks are spread over (default: as few as hold them)");
  cmd->add_option("--kv-groups", o.kv_groups, "KV groups G instead of the model's (must divide the query heads)");
  cmd->add_option("--strategy", o.strategy, "KV sharding: group (default) or replicate");
  cmd->add_option("--batch", o.batch, "sequences decoded together");
  cmd->add_option("--context", o.context, "positions each sequence attends (default: the model's maximum)");
  cmd->add_option("--context-encoder", o.encoder_context,
                  "encoder-decoder: encoder outputs cross-attention reads (default: --context)");
  cmd->add_option("--dtype", o.dtype, "weights and KV cache: f32, f16, bf16 (default) or fp8");
  cmd->add_option("--hardware", o.hardware, "profile: " + names(planner::hardware_profile_names()) +
                                                " (default h100-sxm)");
  cmd->add_option("--bandwidth", o.bandwidth, "memory bandwidth in GB/s (required for cpu; overrides the profile)");
  cmd->add_option("--tflops", o.tflops, "dense compute peak in TFLOPS (overrides the profile; cpu has none)");
  cmd->add_flag("--json", o.json, "print JSON instead of a table");
  cmd->add_flag("--sweep-groups", o.sweep_groups, "one row per G = 1, 2, 4, ... H: MQA, GQA-G, MHA");
  return {cmd, [&o](ControlChannel& comm) { return run_plan(o, comm); }};
}

int run_plan(const PlanOptions& o, ControlChannel& comm) {
  planner::PlanReport report;
  std::vector<planner::SweepEntry> sweep;
  std::optional<planner::DecodeCost> cost;
  // Every rank computes the same thing (it is cheap); rank 0 prints.
  run_collective_phase(comm, [&] {
    report.model = planner::load_planner_model(o.model);
    if (o.kv_groups) report.model = planner::with_kv_groups(report.model, *o.kv_groups);
    report.hardware = planner::hardware_profile(o.hardware, o.bandwidth);
    planner::DecodeSettings& s = report.settings;
    s.tp = o.tp;
    s.hosts = o.hosts;
    s.strategy = strategy_from_name(o.strategy);
    s.batch = o.batch;
    s.context = o.context;
    s.encoder_context = o.encoder_context;
    s.precision = planner::precision_from_name(o.dtype);
    s.tflops = o.tflops;
    if (o.sweep_groups) {
      sweep = planner::sweep_decode_cost(report.model, report.hardware, s);
    } else {
      cost = planner::decode_cost(report.model, report.hardware, s);
    }
  });
  if (comm.rank() != 0) return 0;
  if (o.json) {
    const nlohmann::json out = o.sweep_groups ? planner::sweep_json(report, sweep)
                                              : planner::decode_cost_json(report, *cost);
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << (o.sweep_groups ? planner::sweep_table(report, sweep) : planner::decode_cost_table(report, *cost));
  }
  return 0;
}

}  // namespace gs
