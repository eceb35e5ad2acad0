// The steps every subcommand that runs a model shares: resolving threads, the
// tokenizer path and the cache limits from the RunConfig, and loading the rank's
// slice of the model.
#pragma once

#include <memory>
#include <string>

#include "engine/checkpoint/weight_source.h"
#include "engine/llama_model.h"
#include "engine/tokenizer/tokenizer.h"
#include "launch/run_config.h"
#include "parallel/control_channel.h"
#include "parallel/tensor_channel.h"

namespace gs {

// runtime.threads, or (when 0) this host's cores shared among its ranks; applies it.
int apply_threads(int configured);

// model.tokenizer, or tokenizer.model / tokenizer.bin beside the model; empty if none.
std::string find_tokenizer_path(const RunConfig& config);

// The tokenizer at find_tokenizer_path(), checked to fit the model's vocabulary;
// nullptr when there is none.
std::unique_ptr<Tokenizer> open_model_tokenizer(const RunConfig& config, const ModelConfig& model);

// KV-cache and step sizes for `sequences` prompts; throws naming the bad setting.
ModelLimits model_limits(const RunConfig::Runtime& runtime, const ModelConfig& model, int sequences);

kernels::BackendKind backend_from_name(const std::string& name);

// runtime.weight_dtype: f32 or bf16; throws naming the valid values.
kernels::WeightType weight_type_from_name(const std::string& name);

// The channel the model's collectives use: MPI over host memory on CPU ranks.
std::unique_ptr<TensorChannel> open_tensor_channel(const RunConfig::Runtime& runtime, ControlChannel& control);

// --verbose: the resolved config and the plan's notes on stderr (rank 0 calls it).
void print_resolved_config(const RunConfig& config, const ShardPlan& plan);

}  // namespace gs
