#include "parallel/shard_plan.h"

#include <algorithm>
#include <sstream>

#include "common/check.h"

namespace gs {

namespace {

std::string join(const std::vector<int>& values) {
  std::ostringstream out;
  for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  return out.str();
}

void validate_shape(const ModelShape& s, int tp) {
  GS_CHECK(tp >= 1, "tp must be at least 1, got " << tp);
  GS_CHECK(s.n_heads > 0 && s.n_kv_heads > 0 && s.n_heads % s.n_kv_heads == 0,
           "the model's " << s.n_heads << " query heads cannot form " << s.n_kv_heads
                          << " KV groups: the head count must be a multiple of the group count");
  GS_CHECK(tp <= s.n_heads, "tp = " << tp << " exceeds the model's " << s.n_heads
                                    << " query heads: every rank needs at least one query head");
  GS_CHECK(tp <= s.ffn_dim && tp <= s.vocab_size,
           "tp = " << tp << " exceeds the MLP width " << s.ffn_dim << " or the vocabulary "
                   << s.vocab_size);
}

std::string sizes_note(const std::vector<RankShard>& ranks, IndexRange RankShard::*range) {
  int lo = (ranks.front().*range).size(), hi = lo;
  for (const RankShard& r : ranks) {
    lo = std::min(lo, (r.*range).size());
    hi = std::max(hi, (r.*range).size());
  }
  std::ostringstream out;
  out << lo;
  if (hi != lo) out << " to " << hi;
  return out.str();
}

}  // namespace

std::string strategy_name(ShardStrategy strategy) {
  return strategy == ShardStrategy::group ? "group" : "replicate";
}

ShardStrategy strategy_from_name(const std::string& name) {
  if (name == "group") return ShardStrategy::group;
  if (name == "replicate") return ShardStrategy::replicate;
  GS_FAIL("unknown sharding strategy '" << name << "': use group or replicate");
}

IndexRange even_split(int n, int parts, int index) {
  const int base = n / parts, extra = n % parts;
  const int begin = index * base + std::min(index, extra);
  return {begin, begin + base + (index < extra ? 1 : 0)};
}

int RankShard::local_kv_of_q(int local_q, const ModelShape& shape) const {
  const int q_per_group = shape.n_heads / shape.n_kv_heads;
  return (q_heads.begin + local_q) / q_per_group - kv_heads.begin;
}

int RankShard::max_q_per_kv(const ModelShape& shape) const {
  int best = 0;
  for (int kv = kv_heads.begin; kv < kv_heads.end; ++kv) {
    const int q_per_group = shape.n_heads / shape.n_kv_heads;
    const IndexRange group{kv * q_per_group, (kv + 1) * q_per_group};
    const int shared = std::min(group.end, q_heads.end) - std::max(group.begin, q_heads.begin);
    best = std::max(best, shared);
  }
  return best;
}

std::vector<int> ShardPlan::valid_group_tp(const ModelShape& shape) {
  std::vector<int> valid;
  for (int tp = 1; tp <= shape.n_heads; ++tp) {
    if (tp <= shape.n_kv_heads || tp % shape.n_kv_heads == 0) valid.push_back(tp);
  }
  return valid;
}

ShardPlan ShardPlan::make(const ModelShape& shape, int tp, ShardStrategy strategy) {
  validate_shape(shape, tp);
  ShardPlan plan;
  plan.shape_ = shape;
  plan.tp_ = tp;
  plan.strategy_ = strategy;
  const int G = shape.n_kv_heads, q_per_group = shape.n_heads / G;

  for (int r = 0; r < tp; ++r) {
    RankShard shard;
    shard.rank = r;
    if (strategy == ShardStrategy::replicate) {
      shard.q_heads = even_split(shape.n_heads, tp, r);
      shard.kv_heads = {0, G};
    } else if (tp <= G) {
      // Whole groups per rank; counts differ by at most one when tp does not divide G.
      shard.kv_heads = even_split(G, tp, r);
      shard.q_heads = {shard.kv_heads.begin * q_per_group, shard.kv_heads.end * q_per_group};
    } else {
      GS_CHECK(tp % G == 0, "tp = " << tp << " cannot shard " << G << " KV groups: with more ranks "
                                    << "than groups, tp must be a multiple of the group count so "
                                    << "each group's query heads split over the same number of "
                                    << "ranks. Valid tp values for this model: "
                                    << join(valid_group_tp(shape)));
      // tp/G ranks share each group: each holds one copy of its K/V head.
      const int ranks_per_group = tp / G, g = r / ranks_per_group;
      const IndexRange part = even_split(q_per_group, ranks_per_group, r % ranks_per_group);
      shard.kv_heads = {g, g + 1};
      shard.q_heads = {g * q_per_group + part.begin, g * q_per_group + part.end};
    }
    shard.ffn = even_split(shape.ffn_dim, tp, r);
    shard.vocab = even_split(shape.vocab_size, tp, r);
    plan.ranks_.push_back(shard);
  }

  std::vector<std::string>& notes = plan.notes_;
  const std::string q_sizes = sizes_note(plan.ranks_, &RankShard::q_heads);
  const std::string kv_sizes = sizes_note(plan.ranks_, &RankShard::kv_heads);
  if (q_sizes.find(" to ") != std::string::npos)
    notes.push_back("uneven attention: ranks compute " + q_sizes + " query heads");
  if (strategy == ShardStrategy::group && kv_sizes.find(" to ") != std::string::npos)
    notes.push_back("uneven KV groups: ranks hold " + kv_sizes + " groups (tp does not divide G = " +
                    std::to_string(G) + ")");
  if (plan.max_replication() > 1) {
    std::ostringstream out;
    out << "each KV head is held by " << plan.max_replication() << " ranks ("
        << (strategy == ShardStrategy::replicate ? "replicate strategy"
                                                  : "tp > G; the minimum possible")
        << ")";
    notes.push_back(out.str());
  }
  return plan;
}

int ShardPlan::replication_of(int kv) const {
  return static_cast<int>(std::count_if(ranks_.begin(), ranks_.end(),
                                        [kv](const RankShard& r) { return r.kv_heads.contains(kv); }));
}

int ShardPlan::max_replication() const {
  int most = 0;
  for (int kv = 0; kv < shape_.n_kv_heads; ++kv) most = std::max(most, replication_of(kv));
  return most;
}

RankFootprint ShardPlan::footprint(int r, int bytes_per_value) const {
  const ModelShape& s = shape_;
  const RankShard& shard = ranks_.at(r);
  const std::int64_t dim = s.dim, d = s.head_dim;
  const std::int64_t q = shard.q_heads.size() * d, kv = shard.kv_heads.size() * d;
  const std::int64_t ffn = shard.ffn.size();

  const std::int64_t replicated = std::int64_t{s.vocab_size} * dim  // embedding: every rank embeds
                                  + (2 * std::int64_t{s.n_layers} + 1) * dim;  // norms
  std::int64_t per_layer = q * dim + 2 * kv * dim + dim * q + 3 * ffn * dim;
  if (s.qkv_bias) per_layer += q + 2 * kv;
  const std::int64_t lm_head = s.tied_embeddings ? 0 : std::int64_t{shard.vocab.size()} * dim;

  RankFootprint f;
  f.replicated_bytes = replicated * bytes_per_value;
  f.weight_bytes = (replicated + s.n_layers * per_layer + lm_head) * bytes_per_value;
  f.kv_bytes_per_token = 2 * std::int64_t{s.n_layers} * kv * bytes_per_value;
  return f;
}

}  // namespace gs
