// How `groupshard plan` shows a decode cost: a table for people, JSON for scripts.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/planner/decode_cost.h"

namespace gs::planner {

struct PlanReport {
  PlannerModel model;
  HardwareProfile hardware;
  DecodeSettings settings;
};

// One plan: the model, the hardware, a row per group of identical ranks, the
// replication waste, the collectives with the ring model used, and the step time.
std::string decode_cost_table(const PlanReport& report, const DecodeCost& cost);
// One row per G: MQA, GQA-G, MHA side by side.
std::string sweep_table(const PlanReport& report, const std::vector<SweepEntry>& entries);

nlohmann::json decode_cost_json(const PlanReport& report, const DecodeCost& cost);
nlohmann::json sweep_json(const PlanReport& report, const std::vector<SweepEntry>& entries);

}  // namespace gs::planner
