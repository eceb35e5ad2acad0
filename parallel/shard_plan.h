// ShardPlan: who owns what, decided once from (model shape, tp, strategy).
//
// The rule (../shared/DESIGN.md): with strategy `group` each rank owns whole KV
// groups and the query heads that read them; when tp exceeds the group count each
// group's query heads are split over tp/G ranks that each hold one copy of the
// group's K/V head (the least replication possible); when tp and G divide neither
// way whole groups are dealt out as evenly as possible. Strategy `replicate` is
// the MQA-style baseline: every rank holds every K/V head. The MLP's intermediate
// columns and the vocabulary are split in contiguous, near-even slices.
//
// Layers read their ranges from here and never re-derive them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "parallel/model_shape.h"

namespace gs {

enum class ShardStrategy { group, replicate };

std::string strategy_name(ShardStrategy strategy);
ShardStrategy strategy_from_name(const std::string& name);  // throws naming the valid names

// Half-open range [begin, end) of global indices.
struct IndexRange {
  int begin = 0;
  int end = 0;
  int size() const { return end - begin; }
  bool contains(int i) const { return i >= begin && i < end; }
};

struct RankShard {
  int rank = 0;
  IndexRange q_heads;   // global query heads this rank computes
  IndexRange kv_heads;  // global KV heads it holds (projects and caches)
  IndexRange ffn;       // MLP intermediate columns
  IndexRange vocab;     // LM-head rows (logit slice)

  // Local KV head read by local query head `local_q` (kv_of_q in kernels).
  int local_kv_of_q(int local_q, const ModelShape& shape) const;
  // Most local query heads that share one local KV head.
  int max_q_per_kv(const ModelShape& shape) const;
};

// Bytes of one rank's weights and cache at f32, from its ranges.
struct RankFootprint {
  std::int64_t weight_bytes = 0;       // everything the rank keeps resident
  std::int64_t replicated_bytes = 0;   // part of weight_bytes every rank holds too
  std::int64_t kv_bytes_per_token = 0; // K and V of its KV heads, all layers
};

class ShardPlan {
 public:
  // Throws gs::Error naming the problem (and the valid tp values) when no layout exists.
  static ShardPlan make(const ModelShape& shape, int tp, ShardStrategy strategy);

  const ModelShape& shape() const { return shape_; }
  int tp() const { return tp_; }
  ShardStrategy strategy() const { return strategy_; }
  const RankShard& rank(int r) const { return ranks_.at(r); }
  const std::vector<RankShard>& ranks() const { return ranks_; }

  // How many ranks hold a copy of KV head `kv` (1 = not replicated).
  int replication_of(int kv) const;
  int max_replication() const;
  // Resident bytes of rank r with weights and cache stored at bytes_per_value each.
  RankFootprint footprint(int r, int bytes_per_value = 4) const;
  // Human-readable notes on imbalance and replication; empty when perfectly even.
  const std::vector<std::string>& notes() const { return notes_; }

  // tp values the `group` strategy accepts for this shape, for messages.
  static std::vector<int> valid_group_tp(const ModelShape& shape);

 private:
  ModelShape shape_;
  int tp_ = 1;
  ShardStrategy strategy_ = ShardStrategy::group;
  std::vector<RankShard> ranks_;
  std::vector<std::string> notes_;
};

// Splits n items over parts contiguously; counts differ by at most one, larger first.
IndexRange even_split(int n, int parts, int index);

}  // namespace gs
