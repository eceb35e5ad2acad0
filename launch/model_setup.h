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
#include "parallel/timed_tensor_channel.h"

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
DType weight_type_from_name(const std::string& name);

// runtime.kv_dtype: auto (nullopt: the backend's default), bf16 or f32; throws
// naming the valid values.
std::optional<DType> kv_type_from_name(const std::string& name);
// runtime.weight_dtype and runtime.kv_dtype parsed once, so a bad name fails
// before the checkpoint is read.
void check_dtype_names(const RunConfig::Runtime& runtime);

// The backend settings of runtime (device, CUDA graphs, wait limit, KV type).
kernels::BackendOptions backend_options(const RunConfig::Runtime& runtime);

// runtime.backend and runtime.device: the backend this rank computes on, sized for
// its shard of plan under limits; a host backend first checks that the rank's
// weights and cache fit this host's memory. Not collective.
std::unique_ptr<kernels::Backend> open_backend(const RunConfig::Runtime& runtime, const ShardPlan& plan,
                                               ControlChannel& control, const ModelLimits& limits);

// parallel.collectives: the channel the model's collectives use, over the backend's
// memory — MPI for host memory, NCCL or host-staged MPI for device memory. Every
// rank must call it (the ranks agree on NCCL, which then joins them all).
std::unique_ptr<TensorChannel> open_tensor_channel(const RunConfig& config, ControlChannel& control,
                                                   kernels::Backend& backend);

// A rank's slice of a model, loaded into its backend; the tensor channel is not
// open yet.
struct RankSlice {
  ModelConfig config;
  ModelLimits limits;
  std::unique_ptr<kernels::Backend> backend;
  LlamaWeights weights;
};

// open_backend, then this rank's slices of source copied into it as
// runtime.weight_dtype (the caller may then close source). Not collective.
RankSlice load_rank_slice(const WeightSource& source, const ShardPlan& plan, ControlChannel& control,
                          const RunConfig::Runtime& runtime, const ModelLimits& limits);

// A rank's model with the channel its collectives use, timed for bench.
struct RankModel {
  std::unique_ptr<TensorChannel> channel;
  std::unique_ptr<TimedTensorChannel> timed;  // wraps channel; the model's channel
  std::unique_ptr<LlamaModel> model;
};

// Once every rank has loaded its weights into its backend: opens the tensor
// channel and builds the model, with one verdict for all ranks.
RankModel build_rank_model(ControlChannel& control, const RunConfig& config, const ShardPlan& plan,
                           RankSlice slice);

// --verbose: the resolved config and the plan's notes on stderr (rank 0 calls it).
void print_resolved_config(const RunConfig& config, const ShardPlan& plan);

}  // namespace gs
