// The paper's conversion written straight from its definition, as the truth
// the converter's output is compared against: new group g serves query heads
// [g*H/G, (g+1)*H/G); its K/V head is the mean (or the first) of the heads that
// served those query heads before.
#pragma once

#include <set>

#include "engine/checkpoint/dense_weights.h"
#include "engine/convert/kv_regrouping.h"

namespace gs::testing {

inline bool is_kv(WeightKind kind) {
  return kind == WeightKind::wk || kind == WeightKind::wv || kind == WeightKind::bk ||
         kind == WeightKind::bv;
}

inline DenseWeights expected_conversion(const DenseWeights& w, int groups, KvInit init) {
  DenseWeights out = w;
  const ModelConfig& c = w.config;
  out.config.n_kv_heads = groups;
  for (auto& [key, values] : out.tensors) {
    if (!is_kv(key.first)) continue;
    const std::vector<float>& old = w.at(key.first, key.second);
    const std::size_t head = old.size() / c.n_kv_heads;  // values per K/V head
    values.assign(head * groups, 0.0f);
    for (int g = 0; g < groups; ++g) {
      std::set<int> old_heads;
      for (int q = g * c.n_heads / groups; q < (g + 1) * c.n_heads / groups; ++q)
        old_heads.insert(q / (c.n_heads / c.n_kv_heads));
      if (init == KvInit::first) old_heads = {*old_heads.begin()};
      for (std::size_t i = 0; i < head; ++i) {
        double sum = 0;
        for (int h : old_heads) sum += old[h * head + i];
        values[g * head + i] = static_cast<float>(sum / old_heads.size());
      }
    }
  }
  return out;
}

}  // namespace gs::testing
