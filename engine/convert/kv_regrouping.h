// Step 1 of the GQA paper's uptraining (Ainslie et al., 2023): a checkpoint with
// G' K/V heads becomes one with G, by regrouping the rows of each K and V
// projection (and bias). These functions see one tensor at a time, so a
// converter can stream a model through them.
//
// Query head h belongs to KV group h / (H/G). Pooling (G < G') merges each run
// of G'/G consecutive groups; expanding (G > G') splits each group into G/G'
// groups that all keep its K/V head, so an expanded model computes exactly what
// the original did.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gs {

// How a new K/V head is made from the heads of its group (the paper's ablation:
// mean beats first beats random).
enum class KvInit {
  mean,    // the mean of the group's heads
  first,   // the group's first head
  random,  // fresh values with the original tensor's RMS, from a seed
};

KvInit kv_init_from_name(const std::string& name);  // "mean", "first", "random"; throws otherwise
std::string kv_init_name(KvInit init);

// Throws gs::Error naming the problem unless a model with n_heads query heads in
// from_groups KV groups can become one with to_groups: to_groups divides
// n_heads, and one of from_groups and to_groups divides the other.
void check_kv_regrouping(int n_heads, int from_groups, int to_groups);

struct KvRegrouping {
  int head_dim = 0;
  int from_groups = 0;  // G'
  int to_groups = 0;    // G
  KvInit init = KvInit::mean;
  std::uint64_t seed = 0;  // for KvInit::random only
};

// rows: the from_groups * head_dim rows (of `cols` values; 1 for a bias) of a K
// or V tensor, head after head. Returns its to_groups * head_dim rows. Pooling
// with mean averages the merged heads row by row (in double, so averaging
// identical heads gives them back exactly); first keeps the first merged head.
// Expanding copies with mean and first alike. random ignores the values but
// for their RMS, and gives the same rows for the same seed.
std::vector<float> regroup_kv_rows(std::span<const float> rows, std::int64_t cols,
                                   const KvRegrouping& regrouping);

}  // namespace gs
