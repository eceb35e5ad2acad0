#include "launch/info_command.h"

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "engine/checkpoint/weight_source.h"
#include "launch/collective_phase.h"
#include "launch/memory_budget.h"
#include "parallel/shard_plan.h"

namespace gs {

namespace {

// Positions of f32 KV cache a rank's share of this host's available memory holds
// beside its f32 weights, in whole blocks of 16 (the paged cache's smallest block).
std::int64_t kv_tokens_fit(const RankFootprint& f, int tp) {
  const std::int64_t room = host_available_bytes() / tp - f.weight_bytes;
  if (room <= 0 || f.kv_bytes_per_token <= 0) return 0;
  return room / f.kv_bytes_per_token / 16 * 16;
}

std::string range_text(IndexRange r) {
  if (r.size() == 1) return std::to_string(r.begin);
  return std::to_string(r.begin) + "-" + std::to_string(r.end - 1);
}

nlohmann::json config_json(const ModelConfig& c) {
  return {{"architecture", c.architecture}, {"dim", c.dim}, {"ffn_dim", c.ffn_dim},
          {"n_layers", c.n_layers}, {"n_heads", c.n_heads}, {"n_kv_heads", c.n_kv_heads},
          {"head_dim", c.head_dim}, {"vocab_size", c.vocab_size}, {"max_seq_len", c.max_seq_len},
          {"rope_theta", c.rope_theta}, {"tied_embeddings", c.tied_embeddings},
          {"qkv_bias", c.qkv_bias}};
}

nlohmann::json plan_json(const ShardPlan& plan) {
  nlohmann::json ranks = nlohmann::json::array();
  for (const RankShard& r : plan.ranks()) {
    const RankFootprint f = plan.footprint(r.rank);
    int replication = 0;
    for (int kv = r.kv_heads.begin; kv < r.kv_heads.end; ++kv)
      replication = std::max(replication, plan.replication_of(kv));
    ranks.push_back({{"rank", r.rank},
                     {"query_heads", {r.q_heads.begin, r.q_heads.end}},
                     {"kv_heads", {r.kv_heads.begin, r.kv_heads.end}},
                     {"ffn", {r.ffn.begin, r.ffn.end}},
                     {"vocab", {r.vocab.begin, r.vocab.end}},
                     {"kv_replication", replication},
                     {"weight_bytes", f.weight_bytes},
                     {"replicated_weight_bytes", f.replicated_bytes},
                     {"kv_bytes_per_token", f.kv_bytes_per_token},
                     {"kv_tokens_fit", kv_tokens_fit(f, plan.tp())}});
  }
  return {{"tp", plan.tp()}, {"strategy", strategy_name(plan.strategy())},
          {"max_kv_replication", plan.max_replication()}, {"notes", plan.notes()}, {"ranks", ranks}};
}

void print_table(const std::string& model, const ModelConfig& c, const ShardPlan& plan) {
  std::printf("model %s (%s)\n", model.c_str(), c.architecture.c_str());
  std::printf("  dim %d, layers %d, query heads %d, KV groups %d (GQA-%d), head_dim %d, ffn %d,\n"
              "  vocab %d, max_seq_len %d, rope_theta %g, %s LM head%s\n",
              c.dim, c.n_layers, c.n_heads, c.n_kv_heads, c.n_kv_heads, c.head_dim, c.ffn_dim,
              c.vocab_size, c.max_seq_len, c.rope_theta, c.tied_embeddings ? "tied" : "untied",
              c.qkv_bias ? ", q/k/v bias" : "");
  std::printf("plan tp %d, strategy %s, max KV replication %d\n", plan.tp(),
              strategy_name(plan.strategy()).c_str(), plan.max_replication());
  std::printf("  %4s  %-11s  %-8s  %-6s  %-11s  %-11s  %13s  %15s  %13s\n", "rank", "query heads",
              "KV heads", "repl.", "ffn cols", "vocab rows", "weight bytes", "KV bytes/token", "KV tokens fit");
  for (const RankShard& r : plan.ranks()) {
    const RankFootprint f = plan.footprint(r.rank);
    std::printf("  %4d  %-11s  %-8s  %-6d  %-11s  %-11s  %13lld  %15lld  %13lld\n", r.rank,
                (range_text(r.q_heads) + " (" + std::to_string(r.q_heads.size()) + ")").c_str(),
                range_text(r.kv_heads).c_str(), plan.replication_of(r.kv_heads.begin),
                range_text(r.ffn).c_str(), range_text(r.vocab).c_str(),
                static_cast<long long>(f.weight_bytes), static_cast<long long>(f.kv_bytes_per_token),
                static_cast<long long>(kv_tokens_fit(f, plan.tp())));
  }
  std::printf("  KV tokens fit: f32 KV positions beside f32 weights in 1/%d of the %lld bytes available on this host\n",
              plan.tp(), static_cast<long long>(host_available_bytes()));
  for (const std::string& note : plan.notes()) std::printf("  note: %s\n", note.c_str());
}

}  // namespace

Subcommand add_info_command(CLI::App& app, InfoOptions& o) {
  CLI::App* cmd = app.add_subcommand("info", "model config and the shard plan of every rank");
  cmd->add_option("--model", o.model, "llama2.c .bin file or Hugging Face directory")->required();
  cmd->add_option("--tp", o.tp, "tensor-parallel ranks to plan for (no mpirun needed)");
  cmd->add_option("--strategy", o.strategy, "group (default) or replicate");
  cmd->add_flag("--json", o.json, "print JSON instead of a table");
  return {cmd, [&o](ControlChannel& comm) { return run_info(o, comm); }};
}

int run_info(const InfoOptions& o, ControlChannel& comm) {
  std::unique_ptr<WeightSource> source;
  std::optional<ShardPlan> plan;
  run_collective_phase(comm, [&] {
    source = open_checkpoint(o.model);
    plan = ShardPlan::make(source->config().shape(), o.tp, strategy_from_name(o.strategy));
  });
  if (comm.rank() != 0) return 0;
  if (o.json) {
    std::cout << nlohmann::json{{"model", config_json(source->config())}, {"plan", plan_json(*plan)}}.dump(2)
              << "\n";
  } else {
    print_table(o.model, source->config(), *plan);
  }
  return 0;
}

}  // namespace gs
