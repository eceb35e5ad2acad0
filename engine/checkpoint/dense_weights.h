// DenseWeights: a whole Llama-family model in memory as f32, rotary pairs
// interleaved. Tests and benchmarks build random models with it, the writers save
// it in either checkpoint format, and InMemoryWeightSource serves it to the loader
// as if it were a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "common/dtype.h"
#include "engine/checkpoint/weight_source.h"
#include "engine/model_config.h"

namespace gs {

struct DenseWeights {
  ModelConfig config;
  // (kind, layer) -> values, shaped as expected_shape(config, kind); layer is -1
  // for tensors that are not per layer. Holds bq/bk/bv only if config.qkv_bias and
  // lm_head only if !config.tied_embeddings.
  std::map<std::pair<WeightKind, int>, std::vector<float>> tensors;

  std::vector<float>& at(WeightKind kind, int layer = -1);
  const std::vector<float>& at(WeightKind kind, int layer = -1) const;
};

// Random weights with the given config, reproducible from seed: matrices
// uniform in ±1/sqrt(fan_in) scaled so activations stay O(1), norms near 1.
DenseWeights random_dense_weights(const ModelConfig& config, std::uint64_t seed);

// Reads every tensor of a source into memory (interleaved rotary layout).
DenseWeights read_dense_weights(const WeightSource& source);

// A WeightSource over weights already in memory (interleaved layout, f32).
std::unique_ptr<WeightSource> make_in_memory_source(std::shared_ptr<const DenseWeights> weights);

// Writes a llama2.c .bin (7-int header, f32, negative vocab when untied, RoPE
// freq tables). Throws for configs the format cannot hold (qkv bias, head_dim !=
// dim / n_heads, rope settings other than theta 10000).
void write_llama2c_checkpoint(const DenseWeights& weights, const std::filesystem::path& path);

// Writes a Hugging Face directory: config.json and model.safetensors with HF
// tensor names, wq/wk (and biases) permuted to the half-split rotary layout, all
// tensors stored as dtype.
void write_hf_checkpoint(const DenseWeights& weights, const std::filesystem::path& dir,
                         DType dtype);

}  // namespace gs
