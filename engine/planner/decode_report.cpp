#include "engine/planner/decode_report.h"

#include <algorithm>
#include <tuple>

#include <nlohmann/json.hpp>

#include "common/text.h"

namespace gs::planner {

namespace {

using nlohmann::json;

// Three significant digits in decimal units, as datasheets count: "2.76 GB".
std::string bytes_text(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 999.5 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  return printf_text(unit == 0 ? "%.0f %s" : "%.3g %s", bytes, units[unit]);
}

std::string ms_text(double seconds) { return printf_text("%.3f ms", seconds * 1e3); }

std::string attention_name(int groups, int heads) {
  if (groups == heads) return "MHA";
  if (groups == 1) return "MQA";
  return "GQA-" + std::to_string(groups);
}

std::string link_name(const HardwareProfile& hw, bool over_network) {
  if (hw.name == "cpu") return "MPI shared memory";
  return over_network ? "InfiniBand" : "NVLink";
}

std::string model_line(const PlannerModel& m) {
  const ModelShape& s = m.shape;
  const std::string groups = printf_text("%d KV groups (%s)", s.n_kv_heads, attention_name(s.n_kv_heads, s.n_heads).c_str());
  if (m.family == ModelFamily::encoder_decoder) {
    return printf_text("model %s: encoder-decoder, d_model %d, %d query heads x %d, %s in decoder self- and "
                       "cross-attention (encoder: MHA), d_ff %d%s, %d encoder + %d decoder layers, vocab %d",
                       m.name.c_str(), s.dim, s.n_heads, s.head_dim, groups.c_str(), s.ffn_dim,
                       m.gated_ffn ? " gated" : "", m.encoder_layers, s.n_layers, s.vocab_size);
  }
  return printf_text("model %s: decoder-only, dim %d, %d query heads x %d, %s, ffn %d, %d layers, vocab %d, %s LM head",
                     m.name.c_str(), s.dim, s.n_heads, s.head_dim, groups.c_str(), s.ffn_dim, s.n_layers, s.vocab_size,
                     s.tied_embeddings ? "tied" : "untied");
}

std::string hardware_line(const PlanReport& r, const DecodeCost& c) {
  const HardwareProfile& hw = r.hardware;
  std::string line = printf_text("hardware %s: memory %g GB/s", hw.name.c_str(), hw.memory_gbps);
  if (hw.memory_gb > 0) line += printf_text(" (%g GB)", hw.memory_gb);
  line += c.peak_tflops > 0 ? printf_text(", dense peak %g TFLOPS", c.peak_tflops) : ", no compute peak";
  line += printf_text(", %s %g GB/s per direction", link_name(hw, false).c_str(), hw.link_gbps);
  if (hw.network_gbps > 0)
    line += printf_text(", InfiniBand %g GB/s per GPU, %d GPUs per host", hw.network_gbps, hw.devices_per_host);
  return line;
}

std::string step_line(const PlanReport& r, const DecodeCost& c) {
  std::string context = printf_text("context %d", c.context);
  if (c.encoder_context > 0) context += printf_text(" (encoder outputs %d)", c.encoder_context);
  return printf_text("decode step: batch %d, %s, %s weights and KV cache, tp %d on %d host%s (%d rank%s per host), "
                     "strategy %s",
                     c.batch, context.c_str(), precision_name(r.settings.precision).c_str(), c.tp, c.hosts,
                     c.hosts == 1 ? "" : "s", c.ranks_per_host, c.ranks_per_host == 1 ? "" : "s",
                     strategy_name(r.settings.strategy).c_str());
}

std::string range_text(int first, int last) {
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

// What a row shows; consecutive ranks with the same values share a row.
auto row_key(const RankCost& r) {
  return std::make_tuple(r.shard.q_heads.size(), r.shard.kv_heads.size(), r.kv_replication, r.weight_bytes,
                         r.kv_cache_bytes, r.step_bytes, r.step_flops);
}

json rank_json(const RankCost& r) {
  return {{"rank", r.shard.rank},
          {"query_heads", {r.shard.q_heads.begin, r.shard.q_heads.end}},
          {"kv_heads", {r.shard.kv_heads.begin, r.shard.kv_heads.end}},
          {"ffn", {r.shard.ffn.begin, r.shard.ffn.end}},
          {"vocab", {r.shard.vocab.begin, r.shard.vocab.end}},
          {"kv_replication", r.kv_replication},
          {"weight_bytes", r.weight_bytes},
          {"replicated_weight_bytes", r.replicated_weight_bytes},
          {"kv_bytes_per_token", r.kv_bytes_per_token},
          {"kv_cache_bytes", r.kv_cache_bytes},
          {"kv_tokens_fit", r.kv_tokens_fit},
          {"step_bytes", r.step_bytes},
          {"step_flops", r.step_flops},
          {"memory_s", r.memory_s},
          {"compute_s", r.compute_s}};
}

json cost_json(const DecodeCost& c) {
  json ranks = json::array();
  for (const RankCost& r : c.ranks) ranks.push_back(rank_json(r));
  return {{"kv_groups", c.kv_groups},
          {"tp", c.tp},
          {"hosts", c.hosts},
          {"ranks_per_host", c.ranks_per_host},
          {"max_kv_replication", c.max_kv_replication},
          {"wasted_weight_bytes", c.wasted_weight_bytes},
          {"wasted_kv_cache_bytes", c.wasted_kv_cache_bytes},
          {"all_reduces", c.all_reduces},
          {"all_reduce_bytes", c.all_reduce_bytes},
          {"gather_bytes", c.gather_bytes},
          {"over_network", c.over_network},
          {"link_gbps", c.link_gbps},
          {"latency_us", c.latency_us},
          {"all_reduce_model", "ring: 2(n-1)/n * bytes / link_gbps + latency"},
          {"comm_s", c.comm_s},
          {"peak_tflops", c.peak_tflops},
          {"memory_s", c.memory_s},
          {"compute_s", c.compute_s},
          {"step_s", c.step_s},
          {"step_serial_s", c.step_serial_s},
          {"tokens_per_s", c.tokens_per_s},
          {"notes", c.notes},
          {"ranks", ranks}};
}

json header_json(const PlanReport& r) {
  const PlannerModel& m = r.model;
  const HardwareProfile& hw = r.hardware;
  json model = {{"name", m.name},
                {"family", m.family == ModelFamily::encoder_decoder ? "encoder-decoder" : "decoder-only"},
                {"dim", m.shape.dim},
                {"ffn_dim", m.shape.ffn_dim},
                {"n_layers", m.shape.n_layers},
                {"n_heads", m.shape.n_heads},
                {"kv_groups", m.shape.n_kv_heads},
                {"head_dim", m.shape.head_dim},
                {"vocab_size", m.shape.vocab_size},
                {"tied_embeddings", m.shape.tied_embeddings},
                {"max_seq_len", m.max_seq_len}};
  if (m.family == ModelFamily::encoder_decoder) {
    model["encoder_layers"] = m.encoder_layers;
    model["gated_ffn"] = m.gated_ffn;
  }
  return {{"model", model},
          {"hardware",
           {{"name", hw.name},
            {"memory_gbps", hw.memory_gbps},
            {"memory_gb", hw.memory_gb},
            {"link_gbps", hw.link_gbps},
            {"network_gbps", hw.network_gbps},
            {"link_latency_us", hw.link_latency_us},
            {"network_latency_us", hw.network_latency_us},
            {"devices_per_host", hw.devices_per_host}}},
          {"settings",
           {{"strategy", strategy_name(r.settings.strategy)},
            {"dtype", precision_name(r.settings.precision)},
            {"batch", r.settings.batch}}}};
}

}  // namespace

std::string decode_cost_table(const PlanReport& r, const DecodeCost& c) {
  std::string out = model_line(r.model) + "\n" + hardware_line(r, c) + "\n" + step_line(r, c) + "\n\n";
  out += printf_text("  %-7s %7s %8s %7s %10s %11s %12s %11s %10s %10s\n", "ranks", "q heads", "KV heads", "KV repl",
                     "weights", "KV cache", "read/step", "GFLOP/step", "memory", "compute");
  for (std::size_t first = 0; first < c.ranks.size();) {
    std::size_t last = first;
    while (last + 1 < c.ranks.size() && row_key(c.ranks[last + 1]) == row_key(c.ranks[first])) ++last;
    const RankCost& rc = c.ranks[first];
    out += printf_text("  %-7s %7d %8d %7d %10s %11s %12s %11.3g %10s %10s\n",
                       range_text(static_cast<int>(first), static_cast<int>(last)).c_str(), rc.shard.q_heads.size(),
                       rc.shard.kv_heads.size(), rc.kv_replication, bytes_text(rc.weight_bytes).c_str(),
                       bytes_text(rc.kv_cache_bytes).c_str(), bytes_text(rc.step_bytes).c_str(), rc.step_flops / 1e9,
                       ms_text(rc.memory_s).c_str(), ms_text(rc.compute_s).c_str());
    first = last + 1;
  }
  out += printf_text("\nKV bytes per token on rank 0: %s; every rank also holds %s of replicated embedding and norms\n",
                     bytes_text(c.ranks.front().kv_bytes_per_token).c_str(),
                     bytes_text(c.ranks.front().replicated_weight_bytes).c_str());
  if (c.ranks.front().kv_tokens_fit >= 0) {
    std::int64_t fewest = c.ranks.front().kv_tokens_fit;
    for (const RankCost& rc : c.ranks) fewest = std::min(fewest, rc.kv_tokens_fit);
    out += printf_text("KV cache room: %lld tokens per rank (the fullest rank's memory beside its weights, "
                       "in blocks of 16)\n",
                       static_cast<long long>(fewest));
  }
  out += printf_text("KV replication: each KV head on at most %d rank%s; the extra copies waste %s of K/V weights "
                     "and %s of KV cache over all ranks\n",
                     c.max_kv_replication, c.max_kv_replication == 1 ? "" : "s", bytes_text(c.wasted_weight_bytes).c_str(),
                     bytes_text(c.wasted_kv_cache_bytes).c_str());
  if (c.tp > 1) {
    out += printf_text("communication: %d all-reduces of %s and a %s logits gather per step, ring over %s "
                       "(2(n-1)/n x bytes / %g GB/s + %g us each): %s\n",
                       c.all_reduces, bytes_text(c.all_reduce_bytes).c_str(), bytes_text(c.gather_bytes).c_str(),
                       link_name(r.hardware, c.over_network).c_str(), c.link_gbps, c.latency_us, ms_text(c.comm_s).c_str());
  } else {
    out += "communication: none (tp = 1)\n";
  }
  out += printf_text("time per step: %s = max(memory %s, compute %s) + communication %s; serial sum %s; "
                     "%.1f tokens/s (one token per sequence per step)\n",
                     ms_text(c.step_s).c_str(), ms_text(c.memory_s).c_str(), ms_text(c.compute_s).c_str(),
                     ms_text(c.comm_s).c_str(), ms_text(c.step_serial_s).c_str(), c.tokens_per_s);
  for (const std::string& note : c.notes) out += "note: " + note + "\n";
  return out;
}

std::string sweep_table(const PlanReport& r, const std::vector<SweepEntry>& entries) {
  const DecodeCost* first = nullptr;
  for (const SweepEntry& e : entries)
    if (!first && e.cost) first = &*e.cost;
  std::string out = model_line(r.model) + "\n" + hardware_line(r, *first) + "\n" + step_line(r, *first) + "\n";
  out += "per rank: the slowest rank's figures; wasted: extra copies of KV heads (weights + cache), all ranks\n\n";
  out += printf_text("  %4s %-7s %7s %10s %10s %10s %10s %10s %10s %10s %10s %11s\n", "G", "attn", "KV repl", "weights",
                     "KV cache", "wasted", "read/step", "memory", "compute", "comm", "step", "tokens/s");
  for (const SweepEntry& e : entries) {
    const std::string name = attention_name(e.kv_groups, r.model.shape.n_heads);
    if (!e.cost) {
      out += printf_text("  %4d %-7s no layout: %s\n", e.kv_groups, name.c_str(), e.error.c_str());
      continue;
    }
    const DecodeCost& c = *e.cost;
    std::int64_t weights = 0, cache = 0, read = 0;
    for (const RankCost& rc : c.ranks) {
      weights = std::max(weights, rc.weight_bytes);
      cache = std::max(cache, rc.kv_cache_bytes);
      read = std::max(read, rc.step_bytes);
    }
    out += printf_text("  %4d %-7s %7d %10s %10s %10s %10s %10s %10s %10s %10s %11.1f\n", e.kv_groups, name.c_str(),
                       c.max_kv_replication, bytes_text(weights).c_str(), bytes_text(cache).c_str(),
                       bytes_text(c.wasted_weight_bytes + c.wasted_kv_cache_bytes).c_str(), bytes_text(read).c_str(),
                       ms_text(c.memory_s).c_str(), ms_text(c.compute_s).c_str(), ms_text(c.comm_s).c_str(),
                       ms_text(c.step_s).c_str(), c.tokens_per_s);
  }
  out += printf_text("\nstep = max(memory, compute) + communication; ring all-reduce = 2(n-1)/n x bytes / %g GB/s + %g us\n",
                     first->link_gbps, first->latency_us);
  for (const SweepEntry& e : entries) {
    if (!e.cost) continue;
    for (const std::string& note : e.cost->notes)
      out += "note (G = " + std::to_string(e.kv_groups) + "): " + note + "\n";
  }
  return out;
}

json decode_cost_json(const PlanReport& r, const DecodeCost& c) {
  json out = header_json(r);
  out["settings"]["context"] = c.context;
  out["settings"]["encoder_context"] = c.encoder_context;
  out["cost"] = cost_json(c);
  return out;
}

json sweep_json(const PlanReport& r, const std::vector<SweepEntry>& entries) {
  json out = header_json(r);
  json sweep = json::array();
  for (const SweepEntry& e : entries) {
    if (e.cost) {
      out["settings"]["context"] = e.cost->context;
      out["settings"]["encoder_context"] = e.cost->encoder_context;
      sweep.push_back(cost_json(*e.cost));
    } else {
      sweep.push_back({{"kv_groups", e.kv_groups}, {"error", e.error}});
    }
  }
  out["sweep"] = sweep;
  return out;
}

}  // namespace gs::planner
