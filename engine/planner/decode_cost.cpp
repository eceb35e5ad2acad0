#include "engine/planner/decode_cost.h"

#include <algorithm>
#include <sstream>

#include "common/check.h"

namespace gs::planner {

namespace {

// A rank's decode step in values (not bytes): what it holds and what one step reads.
struct RankValues {
  std::int64_t weights = 0;     // resident
  std::int64_t replicated = 0;  // of which every rank holds the same
  std::int64_t step_weights = 0;  // weights one step reads
  std::int64_t matmul = 0;      // weights multiplied by every sequence's activations
  std::int64_t attended = 0;    // attended positions per query head per sequence, summed over layers
};

// Projections of one attention block: q and o for the rank's query heads, k and v for its KV heads.
std::int64_t attention_values(const RankShard& s, const ModelShape& m) {
  return (2LL * s.q_heads.size() + 2LL * s.kv_heads.size()) * m.head_dim * m.dim;
}

// Decoder-only (Llama): resident bytes straight from ShardPlan::footprint, which
// the engine's loader matches; a step reads all of them except the embedding table,
// of which it looks up one row per sequence (a tied LM head reads its vocabulary
// slice of it).
RankValues llama_values(const ShardPlan& plan, int r, const DecodeSettings& s) {
  const ModelShape& m = plan.shape();
  const RankShard& shard = plan.rank(r);
  const RankFootprint f = plan.footprint(r, 1);
  const std::int64_t embedding = std::int64_t{m.vocab_size} * m.dim;
  const std::int64_t tied_head = m.tied_embeddings ? std::int64_t{shard.vocab.size()} * m.dim : 0;
  RankValues v;
  v.weights = f.weight_bytes;
  v.replicated = f.replicated_bytes;
  v.step_weights = f.weight_bytes - embedding + std::int64_t{s.batch} * m.dim + tied_head;
  v.matmul = f.weight_bytes - f.replicated_bytes + tied_head;
  v.attended = std::int64_t{m.n_layers} * s.context;
  return v;
}

// Encoder-decoder (T5.1.1): decoder layers hold self-attention, cross-attention
// and the FFN; a decode step runs the decoder only, and cross-attention's K and V
// of the encoder outputs were computed once per sequence into the cross KV cache,
// so a step reads its q and o projections but not its k and v. The encoder (its
// own plan, G = H) is resident but idle while decoding.
RankValues t5_values(const PlannerModel& model, const ShardPlan& decoder, const ShardPlan& encoder, int r,
                     const DecodeSettings& s) {
  const ModelShape& m = decoder.shape();
  const RankShard& dec = decoder.rank(r);
  const RankShard& enc = encoder.rank(r);
  const std::int64_t ffn_matrices = model.gated_ffn ? 3 : 2;
  const std::int64_t dec_ffn = ffn_matrices * dec.ffn.size() * m.dim;
  const std::int64_t enc_ffn = ffn_matrices * enc.ffn.size() * m.dim;
  const std::int64_t cross_q_o = 2LL * dec.q_heads.size() * m.head_dim * m.dim;
  const std::int64_t L = m.n_layers, E = model.encoder_layers;
  // Each stack's (buckets, H) relative-bias table, sliced to the rank's query heads
  // as the engine holds it (T5Weights).
  const std::int64_t dec_bias = std::int64_t{model.relative_attention_buckets} * dec.q_heads.size();
  const std::int64_t enc_bias = std::int64_t{model.relative_attention_buckets} * enc.q_heads.size();
  const std::int64_t embedding = std::int64_t{m.vocab_size} * m.dim;
  const std::int64_t head = std::int64_t{dec.vocab.size()} * m.dim;
  const std::int64_t decoder_norms = (3 * L + 1) * m.dim, encoder_norms = (2 * E + 1) * m.dim;

  RankValues v;
  v.replicated = embedding + decoder_norms + encoder_norms;
  v.weights = v.replicated + dec_bias + enc_bias + L * (2 * attention_values(dec, m) + dec_ffn) +
              E * (attention_values(enc, m) + enc_ffn) + (m.tied_embeddings ? 0 : head);
  const std::int64_t decoder_matmul = L * (attention_values(dec, m) + cross_q_o + dec_ffn);
  v.matmul = decoder_matmul + head;
  v.step_weights = v.matmul + decoder_norms + dec_bias + std::int64_t{s.batch} * m.dim;
  v.attended = L * (std::int64_t{s.context} + s.encoder_context);
  return v;
}

double ring_all_reduce_s(std::int64_t bytes, int n, double gbps, double latency_us) {
  return 2.0 * (n - 1) / n * static_cast<double>(bytes) / (gbps * 1e9) + latency_us * 1e-6;
}

double gather_s(std::int64_t bytes, int n, double gbps, double latency_us) {
  return static_cast<double>(n - 1) / n * static_cast<double>(bytes) / (gbps * 1e9) + latency_us * 1e-6;
}

// Peak FLOP/s for the precision, or 0 when the profile has none.
double peak_flops(const HardwareProfile& hw, const DecodeSettings& s, std::vector<std::string>& notes) {
  if (s.tflops) return *s.tflops * 1e12;
  switch (s.precision) {
    case Precision::f32:
      return hw.tflops_tf32 * 1e12;
    case Precision::f16:
    case Precision::bf16:
      return hw.tflops_16 * 1e12;
    case Precision::fp8:
      if (hw.tflops_fp8 > 0) return hw.tflops_fp8 * 1e12;
      if (hw.tflops_16 > 0) notes.push_back(hw.name + " has no FP8 tensor cores: FP8 weights are computed at the 16-bit peak");
      return hw.tflops_16 * 1e12;
  }
  return 0;
}

std::string gb(std::int64_t bytes) {
  std::ostringstream out;
  out.precision(3);
  out << static_cast<double>(bytes) / 1e9 << " GB";
  return out.str();
}

}  // namespace

Precision precision_from_name(const std::string& name) {
  if (name == "f32") return Precision::f32;
  if (name == "f16") return Precision::f16;
  if (name == "bf16") return Precision::bf16;
  if (name == "fp8") return Precision::fp8;
  GS_FAIL("unknown dtype '" << name << "': use f32, f16, bf16 or fp8");
}

std::string precision_name(Precision p) {
  switch (p) {
    case Precision::f32: return "f32";
    case Precision::f16: return "f16";
    case Precision::bf16: return "bf16";
    case Precision::fp8: return "fp8";
  }
  return "?";
}

int precision_bytes(Precision p) {
  switch (p) {
    case Precision::f32: return 4;
    case Precision::f16:
    case Precision::bf16: return 2;
    case Precision::fp8: return 1;
  }
  return 0;
}

std::vector<int> sweep_kv_groups(int n_heads) {
  std::vector<int> groups;
  for (int g = 1; g < n_heads && n_heads % g == 0; g *= 2) groups.push_back(g);
  groups.push_back(n_heads);
  return groups;
}

DecodeCost decode_cost(const PlannerModel& model, const HardwareProfile& hw, const DecodeSettings& in) {
  const bool t5 = model.family == ModelFamily::encoder_decoder;
  DecodeSettings s = in;
  if (s.context == 0) s.context = model.max_seq_len;
  if (t5 && s.encoder_context == 0) s.encoder_context = s.context;
  GS_CHECK(s.batch >= 1, "--batch must be at least 1, got " << s.batch);
  GS_CHECK(s.context >= 1, "--context must be at least 1, got " << s.context);
  GS_CHECK(t5 || s.encoder_context == 0,
           "--context-encoder applies to encoder-decoder models only; " << model.name << " is decoder-only");
  GS_CHECK(!t5 || s.encoder_context >= 1, "--context-encoder must be at least 1, got " << s.encoder_context);
  GS_CHECK(!s.tflops || *s.tflops > 0, "--tflops must be positive, got " << *s.tflops);

  DecodeCost c;
  c.tp = s.tp;
  c.batch = s.batch;
  c.context = s.context;
  c.encoder_context = s.encoder_context;
  c.kv_groups = model.shape.n_kv_heads;
  GS_CHECK(s.tp >= 1, "tp must be at least 1, got " << s.tp);
  c.hosts = s.hosts > 0 ? s.hosts
                        : static_cast<int>((std::int64_t{s.tp} + hw.devices_per_host - 1) / hw.devices_per_host);
  GS_CHECK(s.hosts >= 0 && s.tp % c.hosts == 0,
           "--hosts " << c.hosts << " must divide tp = " << s.tp << " (ranks per host = tp / hosts)");
  c.ranks_per_host = s.tp / c.hosts;
  GS_CHECK(c.ranks_per_host <= hw.devices_per_host,
           "tp = " << s.tp << " on " << c.hosts << " host(s) puts " << c.ranks_per_host << " ranks on a host, but a "
                   << hw.name << " host has " << hw.devices_per_host << " devices: pass --hosts "
                   << (s.tp + hw.devices_per_host - 1) / hw.devices_per_host << " or more");
  c.over_network = c.hosts > 1;
  GS_CHECK(!c.over_network || hw.network_gbps > 0,
           "the " << hw.name << " profile models a single host: use --hosts 1");

  // The engine's plans: the decoder (or whole decoder-only model) with its G, and
  // for T5 the multi-head encoder, always split by whole heads.
  const ShardPlan plan = ShardPlan::make(model.shape, s.tp, s.strategy);
  std::optional<ShardPlan> encoder;
  if (t5) {
    ModelShape encoder_shape = model.shape;
    encoder_shape.n_kv_heads = encoder_shape.n_heads;
    encoder_shape.n_layers = model.encoder_layers;
    encoder = ShardPlan::make(encoder_shape, s.tp, ShardStrategy::group);
  }
  c.notes = plan.notes();
  c.max_kv_replication = plan.max_replication();

  const int bpv = precision_bytes(s.precision);
  const ModelShape& m = model.shape;
  const double peak = peak_flops(hw, s, c.notes);
  c.peak_tflops = peak / 1e12;
  if (peak == 0) c.notes.push_back("no compute peak for " + hw.name + ": compute time not modelled (pass --tflops)");
  const std::int64_t positions = std::int64_t{s.batch} * (std::int64_t{s.context} + s.encoder_context);

  std::int64_t most_resident = 0;
  for (int r = 0; r < s.tp; ++r) {
    const RankValues v = t5 ? t5_values(model, plan, *encoder, r, s) : llama_values(plan, r, s);
    RankCost rc;
    rc.shard = plan.rank(r);
    for (int kv = rc.shard.kv_heads.begin; kv < rc.shard.kv_heads.end; ++kv)
      rc.kv_replication = std::max(rc.kv_replication, plan.replication_of(kv));
    rc.weight_bytes = v.weights * bpv;
    rc.replicated_weight_bytes = v.replicated * bpv;
    rc.kv_bytes_per_token = plan.footprint(r, bpv).kv_bytes_per_token;
    rc.kv_cache_bytes = positions * rc.kv_bytes_per_token;
    if (hw.memory_gb > 0 && rc.kv_bytes_per_token > 0) {
      const double room = std::max(0.0, hw.memory_gb * 1e9 - static_cast<double>(rc.weight_bytes));
      rc.kv_tokens_fit = static_cast<std::int64_t>(room / static_cast<double>(rc.kv_bytes_per_token)) / 16 * 16;
    }
    rc.step_bytes = v.step_weights * bpv + rc.kv_cache_bytes;
    rc.step_flops = 2.0 * s.batch * static_cast<double>(v.matmul) +
                    4.0 * m.head_dim * rc.shard.q_heads.size() * static_cast<double>(v.attended) * s.batch;
    rc.memory_s = static_cast<double>(rc.step_bytes) / (hw.memory_gbps * 1e9);
    rc.compute_s = peak > 0 ? rc.step_flops / peak : 0.0;
    c.memory_s = std::max(c.memory_s, rc.memory_s);
    c.compute_s = std::max(c.compute_s, rc.compute_s);
    c.step_serial_s = std::max(c.step_serial_s, rc.memory_s + rc.compute_s);
    most_resident = std::max(most_resident, rc.weight_bytes + rc.kv_cache_bytes);
    c.ranks.push_back(rc);
  }
  if (hw.memory_gb > 0 && most_resident > hw.memory_gb * 1e9)
    c.notes.push_back("does not fit: a rank needs up to " + gb(most_resident) + " of weights and KV cache, a " +
                      hw.name + " has " + gb(static_cast<std::int64_t>(hw.memory_gb * 1e9)));

  // Replication waste: every copy of a KV head beyond the first, with its K/V
  // projections (self- and cross-attention for T5) and its cache.
  const std::int64_t head_kv_values_per_position = 2LL * m.head_dim * m.n_layers;
  const std::int64_t head_weight_values =
      (t5 ? 2 : 1) * head_kv_values_per_position * m.dim + (m.qkv_bias ? head_kv_values_per_position : 0);
  for (int kv = 0; kv < m.n_kv_heads; ++kv) {
    const std::int64_t extra = plan.replication_of(kv) - 1;
    c.wasted_weight_bytes += extra * head_weight_values * bpv;
    c.wasted_kv_cache_bytes += extra * head_kv_values_per_position * positions * bpv;
  }

  c.all_reduces = (t5 ? 3 : 2) * m.n_layers;
  c.all_reduce_bytes = std::int64_t{s.batch} * m.dim * (s.precision == Precision::f32 ? 4 : 2);
  c.gather_bytes = std::int64_t{s.batch} * m.vocab_size * 4;
  c.link_gbps = c.over_network ? hw.network_gbps : hw.link_gbps;
  c.latency_us = c.over_network ? hw.network_latency_us : hw.link_latency_us;
  if (s.tp > 1) {
    c.comm_s = c.all_reduces * ring_all_reduce_s(c.all_reduce_bytes, s.tp, c.link_gbps, c.latency_us) +
               gather_s(c.gather_bytes, s.tp, c.link_gbps, c.latency_us);
  }
  double slowest = 0;
  for (const RankCost& rc : c.ranks) slowest = std::max(slowest, std::max(rc.memory_s, rc.compute_s));
  c.step_s = slowest + c.comm_s;
  c.step_serial_s += c.comm_s;
  c.tokens_per_s = s.batch / c.step_s;
  if (!t5 && s.context > model.max_seq_len)
    c.notes.push_back("context " + std::to_string(s.context) + " exceeds the model's " +
                      std::to_string(model.max_seq_len) + " positions");
  return c;
}

std::vector<SweepEntry> sweep_decode_cost(const PlannerModel& model, const HardwareProfile& hardware,
                                          const DecodeSettings& settings) {
  std::vector<SweepEntry> entries;
  bool any = false;
  for (int g : sweep_kv_groups(model.shape.n_heads)) {
    SweepEntry entry;
    entry.kv_groups = g;
    try {
      entry.cost = decode_cost(with_kv_groups(model, g), hardware, settings);
      any = true;
    } catch (const Error& e) {
      entry.error = e.what();
    }
    entries.push_back(std::move(entry));
  }
  // Some G may have no layout for this tp; when none has, the settings are at fault.
  GS_CHECK(any, entries.front().error);
  return entries;
}

}  // namespace gs::planner
