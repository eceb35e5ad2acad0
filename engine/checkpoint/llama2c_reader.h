// Reader for Karpathy's llama2.c legacy checkpoint (.bin): a 7 x int32 header
//   dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
// (vocab_size < 0: an untied classifier follows at the end), then f32 tensors
// stacked over layers, each matrix [out][in]:
//   token_embedding (vocab, dim), attn_norm (L, dim), wq (L, dim, dim),
//   wk (L, kv_dim, dim), wv (L, kv_dim, dim), wo (L, dim, dim), ffn_norm (L, dim),
//   w1 = w_gate (L, hidden, dim), w2 = w_down (L, dim, hidden), w3 = w_up (L, hidden, dim),
//   final_norm (dim), freq_cis_real (seq_len, head_dim/2), freq_cis_imag (same),
//   [lm_head (vocab, dim)]
// with head_dim = dim / n_heads and kv_dim = n_kv_heads * head_dim. Rotary pairs are
// interleaved. The format fixes rope_theta 10000, norm_eps 1e-5, bos 1 and eos 2.
#pragma once

#include <filesystem>
#include <memory>

#include "engine/checkpoint/weight_source.h"

namespace gs {

// Validates the header and that the file size is exactly what it implies.
std::unique_ptr<WeightSource> open_llama2c_checkpoint(const std::filesystem::path& path);

}  // namespace gs
