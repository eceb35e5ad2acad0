#include "engine_harness.h"

#include <algorithm>
#include <cmath>

#include "engine/llama_model.h"
#include "engine/sampler.h"
#include "engine/step_executor.h"
#include "parallel/staged_tensor_channel.h"
#include "pretend_device_backend.h"

namespace gs::testing {

ModelConfig tiny_config(int heads, int kv_heads, int head_dim, int layers) {
  ModelConfig c;
  c.dim = heads * head_dim;
  c.ffn_dim = 44;
  c.n_layers = layers;
  c.n_heads = heads;
  c.n_kv_heads = kv_heads;
  c.head_dim = head_dim;
  c.vocab_size = 96;
  c.max_seq_len = 64;
  c.norm_eps = 1e-5f;
  return c;
}

GreedyTrace run_greedy(const WeightSource& source, MpiChannels& comm,
                       const std::vector<int>& prompt, int steps, const RunSettings& settings) {
  const ModelConfig& config = source.config();
  const ShardPlan plan = ShardPlan::make(config.shape(), comm.size(), settings.strategy);
  ModelLimits limits;
  limits.slots = 1;
  limits.capacity = std::min<int>(config.max_seq_len, static_cast<int>(prompt.size()) + steps);
  limits.max_step_tokens = settings.max_step_tokens;
  std::unique_ptr<LlamaModel> loaded;
  std::unique_ptr<TensorChannel> staged;
  if (settings.pretend_device) {
    auto backend = std::make_unique<PretendDeviceBackend>(
        kernels::make_backend(settings.backend, backend_limits(plan, comm.rank(), limits)));
    LlamaWeights weights = LlamaWeights::load(source, plan, comm.rank(), *backend, settings.weights);
    staged = std::make_unique<StagedTensorChannel>(std::make_unique<MpiTensorChannel>(MPI_COMM_WORLD), *backend);
    loaded = std::make_unique<LlamaModel>(config, plan, *staged, std::move(backend), std::move(weights), limits);
  } else {
    loaded = LlamaModel::load(source, plan, comm.tensors, limits, settings.backend, settings.weights);
  }
  LlamaModel& model = *loaded;
  StepExecutor executor(model, comm);
  if (comm.rank() != 0) {
    executor.serve();
    return {};
  }

  GreedyTrace trace;
  StepBatch batch;
  const int n = static_cast<int>(prompt.size());
  std::span<const float> logits;
  // The step's greedy token: from the backend's argmax, or from the logits.
  auto run = [&]() {
    if (settings.argmax_on_backend) return executor.run_argmax(batch)[0];
    logits = executor.run(batch);
    trace.logits.emplace_back(logits.begin(), logits.end());
    return argmax(logits);
  };
  int next = -1;
  for (int begin = 0; begin < n; begin += settings.max_step_tokens) {
    batch.clear();
    for (int p = begin; p < std::min(n, begin + settings.max_step_tokens); ++p)
      batch.add(prompt[p], p, 0, p == n - 1);
    if (begin + settings.max_step_tokens >= n) {
      next = run();
    } else if (settings.argmax_on_backend) {
      executor.run_argmax(batch);
    } else {
      executor.run(batch);
    }
  }
  for (int step = 0; step < steps; ++step) {
    trace.tokens.push_back(next);
    if (step + 1 == steps) break;
    batch.clear();
    batch.add(trace.tokens.back(), n + step, 0, true);
    next = run();
  }
  executor.stop();
  return trace;
}

double max_abs_diff(std::span<const float> a, std::span<const float> b) {
  double worst = a.size() == b.size() ? 0.0 : INFINITY;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  return worst;
}

}  // namespace gs::testing
