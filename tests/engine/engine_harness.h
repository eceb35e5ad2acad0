// Shared helpers for engine tests: tiny model configs and a greedy run of a model
// sharded over a communicator that records the logits of every step.
#pragma once

#include <span>
#include <vector>

#include "engine/checkpoint/dense_weights.h"
#include "kernels/backend.h"
#include "parallel/mpi_channels.h"
#include "parallel/shard_plan.h"

namespace gs::testing {

ModelConfig tiny_config(int heads, int kv_heads, int head_dim = 8, int layers = 2);

struct GreedyTrace {
  std::vector<int> tokens;                 // generated greedily
  std::vector<std::vector<float>> logits;  // (steps, vocab): the logits each token was chosen from
};

struct RunSettings {
  ShardStrategy strategy = ShardStrategy::group;
  kernels::BackendKind backend = kernels::BackendKind::cpu;
  int max_step_tokens = 64;  // prefill chunk
  DType weights = DType::f32;  // how matrices are stored
  // Run the backend as a device backend would be run (pretend_device_backend.h):
  // logits downloaded, collectives staged through host memory.
  bool pretend_device = false;
  // Pick every token with the backend's argmax (StepExecutor::run_argmax) instead
  // of from downloaded logits; the trace then has tokens only.
  bool argmax_on_backend = false;
};

// Prefills `prompt`, then decodes `steps` greedy tokens with the model sharded over
// comm (tp = comm.size()). Collective: every rank calls it; rank 0 gets the trace.
GreedyTrace run_greedy(const WeightSource& source, MpiChannels& comm,
                       const std::vector<int>& prompt, int steps, const RunSettings& settings = {});

double max_abs_diff(std::span<const float> a, std::span<const float> b);

}  // namespace gs::testing
