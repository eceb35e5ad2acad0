// The numbers the ShardPlan and the cost model need from a model, without the rest
// of its config.
#pragma once

namespace gs {

struct ModelShape {
  int dim = 0;         // model width
  int ffn_dim = 0;     // MLP intermediate size
  int n_layers = 0;
  int n_heads = 0;     // query heads H
  int n_kv_heads = 0;  // KV groups G
  int head_dim = 0;
  int vocab_size = 0;
  bool tied_embeddings = false;
  bool qkv_bias = false;
};

}  // namespace gs
