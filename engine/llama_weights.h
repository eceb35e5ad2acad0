// LlamaWeights: the slice of a Llama-family model that one rank keeps, copied out
// of a mapped checkpoint according to the ShardPlan (rotary pairs interleaved).
//
// Sharding as data: wq/wk/wv (and biases), w_gate and w_up are split by output rows
// (column-parallel); wo and w_down by input columns (row-parallel: their products are
// partial sums owed an all-reduce); lm_head by vocabulary rows; the embedding and
// the norms are replicated.
//
// Everything lives in the rank's backend memory. Matrices (the embedding included)
// are held in the run's weight type, f32 or bf16, whatever the checkpoint's dtype;
// norms and biases are tiny and stay f32.
// The embedding follows the matrices because with tied embeddings it is also the
// LM head, the largest matrix a step reads; a lookup widens one row per token.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/checkpoint/weight_source.h"
#include "engine/stored_matrix.h"
#include "parallel/shard_plan.h"

namespace gs {

// f32 values in backend memory; null when absent.
inline const float* floats_or_null(const kernels::Buffer& b) { return b.empty() ? nullptr : b.as<float>(); }

struct LayerWeights {
  kernels::Buffer attn_norm;     // (dim) f32
  StoredMatrix wq;               // (q_local*d, dim)
  StoredMatrix wk;               // (kv_local*d, dim)
  StoredMatrix wv;               // (kv_local*d, dim)
  kernels::Buffer bq;            // (q_local*d) f32, or empty
  kernels::Buffer bk;            // (kv_local*d) f32, or empty
  kernels::Buffer bv;            // (kv_local*d) f32, or empty
  StoredMatrix wo;               // (dim, q_local*d): the columns of this rank's query heads
  kernels::Buffer ffn_norm;      // (dim) f32
  StoredMatrix w_gate;           // (ffn_local, dim)
  StoredMatrix w_up;             // (ffn_local, dim)
  StoredMatrix w_down;           // (dim, ffn_local)
};

struct LlamaWeights {
  StoredMatrix token_embedding;  // (vocab, dim)
  std::vector<LayerWeights> layers;
  kernels::Buffer final_norm;     // (dim) f32
  StoredMatrix lm_head;           // (vocab_local, dim); empty when tied to the embedding

  // Copies rank `rank`'s slices out of source into backend's memory, matrices
  // converted to `type`.
  static LlamaWeights load(const WeightSource& source, const ShardPlan& plan, int rank,
                           kernels::Backend& backend,
                           DType type = DType::f32);
  // Bytes held, as counted from the buffers (the memory test measures RSS separately).
  std::int64_t bytes() const;
};

}  // namespace gs
