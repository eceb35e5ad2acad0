#include "launch/model_setup.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>

#include "kernels/check.h"
#include "kernels/cpu/fast.h"
#include "launch/memory_budget.h"
#include "parallel/mpi_communicator.h"

namespace gs {

int apply_threads(int configured) {
  GS_CHECK(configured >= 0, "runtime.threads must be >= 0 (0 = automatic), got " << configured);
  int threads = configured;
  if (threads == 0) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads = std::max(1, cores / mpi_ranks_on_this_host());
  }
  kernels::cpu::set_threads(threads);
  return threads;
}

std::string find_tokenizer_path(const RunConfig& config) {
  if (!config.model.tokenizer.empty()) return config.model.tokenizer;
  const std::filesystem::path model = config.model.path;
  const std::filesystem::path folder = std::filesystem::is_directory(model) ? model : model.parent_path();
  for (const char* name : {"tokenizer.model", "tokenizer.bin"}) {
    if (std::filesystem::is_regular_file(folder / name)) return (folder / name).string();
  }
  return {};
}

std::unique_ptr<Tokenizer> open_model_tokenizer(const RunConfig& config, const ModelConfig& model) {
  const std::string path = find_tokenizer_path(config);
  if (path.empty()) return nullptr;
  std::unique_ptr<Tokenizer> tokenizer = open_tokenizer(path);
  GS_CHECK(tokenizer->vocab_size() <= model.vocab_size,
           "the tokenizer " << path << " has " << tokenizer->vocab_size() << " tokens but the model only "
                            << model.vocab_size);
  return tokenizer;
}

ModelLimits model_limits(const RunConfig::Runtime& runtime, const ModelConfig& model, int sequences) {
  GS_CHECK(runtime.max_seq_len >= 0 && runtime.max_seq_len <= model.max_seq_len,
           "runtime.max_seq_len = " << runtime.max_seq_len << " is outside 0.." << model.max_seq_len
                                    << ", the positions the model supports (0 = all of them)");
  GS_CHECK(runtime.max_batch >= 1, "runtime.max_batch must be at least 1, got " << runtime.max_batch);
  GS_CHECK(runtime.max_step_tokens >= 1,
           "runtime.max_step_tokens must be at least 1, got " << runtime.max_step_tokens);
  ModelLimits limits;
  limits.capacity = runtime.max_seq_len > 0 ? runtime.max_seq_len : model.max_seq_len;
  limits.slots = std::clamp(sequences, 1, runtime.max_batch);
  limits.max_step_tokens = std::max(runtime.max_step_tokens, limits.slots);
  return limits;
}

kernels::BackendKind backend_from_name(const std::string& name) {
  if (name == "cpu") return kernels::BackendKind::cpu;
  if (name == "reference") return kernels::BackendKind::reference;
  GS_FAIL("unknown backend '" << name << "': use cpu or reference");
}

kernels::WeightType weight_type_from_name(const std::string& name) {
  if (name == "f32") return kernels::WeightType::f32;
  if (name == "bf16") return kernels::WeightType::bf16;
  GS_FAIL("unknown weight dtype '" << name << "': use f32 or bf16");
}

void print_resolved_config(const RunConfig& config, const ShardPlan& plan) {
  std::cerr << "# resolved config\n" << run_config_to_yaml(config) << "\n";
  for (const std::string& note : plan.notes()) std::cerr << "# plan: " << note << "\n";
}

std::unique_ptr<LlamaModel> load_model(const WeightSource& source, const ShardPlan& plan,
                                       Communicator& comm, const ModelLimits& limits,
                                       kernels::BackendKind backend, kernels::WeightType weights) {
  check_rank_memory(plan, comm.rank(), limits, weights, host_available_bytes(), ranks_on_this_host(), comm.host());
  LlamaWeights sliced = LlamaWeights::load(source, plan, comm.rank(), weights);
  return std::make_unique<LlamaModel>(source.config(), plan, comm, std::move(sliced), limits, backend);
}

}  // namespace gs
