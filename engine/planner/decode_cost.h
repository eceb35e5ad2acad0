// decode_cost: an analytic model of ONE decode step, per rank.
//
// What a step does, as the engine does it: every rank reads its decode-path
// weights once and its whole KV cache (batch x context positions), spends 2 FLOPs
// per weight per sequence plus attention (4 * head_dim FLOPs per query head per
// attended position), and joins the collectives: an all-reduce of batch x dim
// activations after each attention block and each MLP (a T5 decoder layer has
// three: self-attention, cross-attention, FFN) and one gather of the logits to
// rank 0. Which heads, KV groups, FFN columns and vocabulary rows a rank owns
// comes from the engine's ShardPlan; nothing here re-derives ownership.
//
// Times: memory = bytes read / memory bandwidth; compute = FLOPs / dense peak of
// the precision; a ring all-reduce of S bytes over n ranks costs
//   2(n-1)/n * S / link + latency,
// where the link is NVLink while all ranks sit in one host and InfiniBand once
// they span hosts (a ring is as slow as its slowest hop); the logits gather costs
// (n-1)/n * S / link + latency. A step takes max(memory, compute) + communication
// on its slowest rank (compute overlaps memory traffic; the collectives sit between
// layers, on the critical path); the serial figure adds all three. Each step makes
// one token for each of the batch's sequences.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/planner/hardware_profiles.h"
#include "engine/planner/model_presets.h"
#include "parallel/shard_plan.h"

namespace gs::planner {

// Weights and KV cache are stored at this precision; activations (and so the
// all-reduce payloads) at 4 bytes for f32 and 2 bytes otherwise.
enum class Precision { f32, f16, bf16, fp8 };
Precision precision_from_name(const std::string& name);  // throws naming the valid names
std::string precision_name(Precision precision);
int precision_bytes(Precision precision);

struct DecodeSettings {
  int tp = 1;
  int hosts = 0;  // 0: as few as hold tp devices
  ShardStrategy strategy = ShardStrategy::group;
  int batch = 1;
  int context = 0;          // positions each sequence attends (its KV cache); 0: the model's max
  int encoder_context = 0;  // encoder-decoder: encoder outputs cross-attention reads; 0: = context
  Precision precision = Precision::bf16;
  std::optional<double> tflops;  // overrides the profile's peak (and gives cpu one)
};

struct RankCost {
  RankShard shard;                           // as the ShardPlan assigns it
  int kv_replication = 1;                    // ranks holding this rank's KV heads (the most of them)
  std::int64_t weight_bytes = 0;             // resident
  std::int64_t replicated_weight_bytes = 0;  // part every rank holds: embedding, norms (T5: bias tables)
  std::int64_t kv_bytes_per_token = 0;       // K and V of one position, all decoder layers
  std::int64_t kv_cache_bytes = 0;           // batch x context (+ batch x encoder context)
  // Positions of KV cache the device's memory holds beside the weights, in whole
  // blocks of 16 (the engine's paged cache); -1 when the profile has no capacity.
  std::int64_t kv_tokens_fit = -1;
  std::int64_t step_bytes = 0;               // read by one step: decode-path weights and KV cache
  double step_flops = 0;
  double memory_s = 0;
  double compute_s = 0;
};

struct DecodeCost {
  int kv_groups = 0;
  int tp = 1;
  int hosts = 1;
  int ranks_per_host = 1;
  int batch = 1;
  int context = 0;
  int encoder_context = 0;             // 0 for decoder-only models
  int max_kv_replication = 1;
  std::int64_t wasted_weight_bytes = 0;    // all ranks: (copies - 1) x each KV head's K/V weights
  std::int64_t wasted_kv_cache_bytes = 0;  // the same for its cache at batch x context
  int all_reduces = 0;                 // per step
  std::int64_t all_reduce_bytes = 0;   // payload of each
  std::int64_t gather_bytes = 0;       // logits to rank 0 (f32, batch x vocab)
  bool over_network = false;           // the ring crosses hosts
  double link_gbps = 0;                // the ring's slowest hop, per direction
  double latency_us = 0;               // per collective
  double comm_s = 0;
  double peak_tflops = 0;              // the peak used; 0 when the profile has none (compute not modelled)
  double memory_s = 0;                 // slowest rank
  double compute_s = 0;                // slowest rank
  double step_s = 0;                   // max(memory, compute) + communication
  double step_serial_s = 0;            // memory + compute + communication
  double tokens_per_s = 0;             // batch / step_s
  std::vector<RankCost> ranks;
  std::vector<std::string> notes;      // the ShardPlan's, and what the model assumed
};

// Throws gs::Error naming the problem: impossible layouts (ShardPlan's message),
// bad sizes, more ranks per host than the profile's hosts hold.
DecodeCost decode_cost(const PlannerModel& model, const HardwareProfile& hardware,
                       const DecodeSettings& settings);

// G = 1, 2, 4, ... (the powers of two that divide H), then H: MQA, GQA-G, MHA.
std::vector<int> sweep_kv_groups(int n_heads);

// One G of a sweep: its cost, or why no layout exists for it.
struct SweepEntry {
  int kv_groups = 0;
  std::optional<DecodeCost> cost;
  std::string error;
};

// decode_cost for the model with each G of sweep_kv_groups; other errors are thrown.
std::vector<SweepEntry> sweep_decode_cost(const PlannerModel& model, const HardwareProfile& hardware,
                                          const DecodeSettings& settings);

}  // namespace gs::planner
