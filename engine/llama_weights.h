// LlamaWeights: the slice of a Llama-family model that one rank keeps, copied out
// of a mapped checkpoint according to the ShardPlan (f32, rotary pairs interleaved).
//
// Sharding as data: wq/wk/wv (and biases), w_gate and w_up are split by output rows
// (column-parallel); wo and w_down by input columns (row-parallel: their products are
// partial sums owed an all-reduce); lm_head by vocabulary rows; the embedding and
// the norms are replicated.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/checkpoint/weight_source.h"
#include "parallel/shard_plan.h"

namespace gs {

struct LayerWeights {
  std::vector<float> attn_norm;  // (dim)
  std::vector<float> wq;         // (q_local*d, dim)
  std::vector<float> wk;         // (kv_local*d, dim)
  std::vector<float> wv;         // (kv_local*d, dim)
  std::vector<float> bq;         // (q_local*d) or empty
  std::vector<float> bk;         // (kv_local*d) or empty
  std::vector<float> bv;         // (kv_local*d) or empty
  std::vector<float> wo;         // (dim, q_local*d): the columns of this rank's query heads
  std::vector<float> ffn_norm;   // (dim)
  std::vector<float> w_gate;     // (ffn_local, dim)
  std::vector<float> w_up;       // (ffn_local, dim)
  std::vector<float> w_down;     // (dim, ffn_local)
};

struct LlamaWeights {
  std::vector<float> token_embedding;  // (vocab, dim)
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm;       // (dim)
  std::vector<float> lm_head;          // (vocab_local, dim); empty when tied to the embedding

  // Copies rank `rank`'s slices out of source.
  static LlamaWeights load(const WeightSource& source, const ShardPlan& plan, int rank);
  // Bytes held, as counted from the buffers (the memory test measures RSS separately).
  std::int64_t bytes() const;
};

}  // namespace gs
