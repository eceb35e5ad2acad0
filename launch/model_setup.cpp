#include "launch/model_setup.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>

#include "common/check.h"
#include "kernels/cpu/fast.h"
#include "launch/collective_phase.h"
#include "launch/memory_budget.h"
#include "parallel/mpi_channels.h"
#include "parallel/staged_tensor_channel.h"
#ifdef GROUPSHARD_WITH_CUDA
#include "kernels/cuda/cuda_backend.h"
#include "parallel/nccl_tensor_channel.h"
#endif

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
  GS_CHECK(runtime.kv_block_size >= 16 && runtime.kv_block_size % 16 == 0,
           "runtime.kv_block_size must be a positive multiple of 16 positions, got " << runtime.kv_block_size);
  GS_CHECK(runtime.kv_cache_tokens >= 0,
           "runtime.kv_cache_tokens must be 0 (room for every sequence) or positive, got " << runtime.kv_cache_tokens);
  ModelLimits limits;
  limits.capacity = runtime.max_seq_len > 0 ? runtime.max_seq_len : model.max_seq_len;
  limits.slots = std::clamp(sequences, 1, runtime.max_batch);
  limits.max_step_tokens = std::max(runtime.max_step_tokens, limits.slots);
  limits.block_size = runtime.kv_block_size;
  limits.kv_blocks = (runtime.kv_cache_tokens + limits.block_size - 1) / limits.block_size;
  return limits;
}

kernels::BackendKind backend_from_name(const std::string& name) {
  if (name == "cpu") return kernels::BackendKind::cpu;
  if (name == "reference") return kernels::BackendKind::reference;
  if (name == "cuda") return kernels::BackendKind::cuda;
  GS_FAIL("unknown backend '" << name << "': use cpu, reference or cuda");
}

DType weight_type_from_name(const std::string& name) {
  return dtype_from_name(name, kWeightDTypes, "weight dtype");
}

std::optional<DType> kv_type_from_name(const std::string& name) {
  if (name == "auto") return std::nullopt;
  if (name == "f32") return DType::f32;
  if (name == "bf16") return DType::bf16;
  GS_FAIL("unknown runtime.kv_dtype '" << name << "': use auto, bf16 or f32");
}

void check_dtype_names(const RunConfig::Runtime& runtime) {
  weight_type_from_name(runtime.weight_dtype);
  kv_type_from_name(runtime.kv_dtype);
}

kernels::BackendOptions backend_options(const RunConfig::Runtime& runtime) {
  kernels::BackendOptions options;
  options.device = runtime.device;
  options.record_steps = runtime.cuda_graphs;
  options.wait_timeout_s = runtime.collective_timeout_s;
  options.kv_type = kv_type_from_name(runtime.kv_dtype);
  return options;
}

void print_resolved_config(const RunConfig& config, const ShardPlan& plan) {
  std::cerr << "# resolved config\n" << run_config_to_yaml(config) << "\n";
  for (const std::string& note : plan.notes()) std::cerr << "# plan: " << note << "\n";
}

std::unique_ptr<kernels::Backend> open_backend(const RunConfig::Runtime& runtime, const ShardPlan& plan,
                                               ControlChannel& control, const ModelLimits& limits) {
  GS_CHECK(runtime.collective_timeout_s > 0,
           "runtime.collective_timeout_s must be positive, got " << runtime.collective_timeout_s);
  const kernels::BackendKind kind = backend_from_name(runtime.backend);
  // The CPU backends hold the weights and the cache in this host's memory: refuse
  // before allocating (the backend's own scratch included) what cannot fit.
  if (kind != kernels::BackendKind::cuda)
    check_rank_memory(plan, control.rank(), limits, weight_type_from_name(runtime.weight_dtype),
                      host_available_bytes(), ranks_on_this_host(), control.host());
  return kernels::make_backend(kind, backend_limits(plan, control.rank(), limits), backend_options(runtime));
}

namespace {

// Whether NCCL can run here: a device backend, NCCL built in, and a GPU of its own
// for every rank of this host (NCCL refuses two ranks on one device).
std::optional<std::string> nccl_unavailable(const kernels::Backend& backend) {
  if (backend.memory_space() != kernels::MemorySpace::device)
    return "the " + backend.name() + " backend computes in host memory (use --backend cuda)";
#ifdef GROUPSHARD_WITH_CUDA
  const int ranks = mpi_ranks_on_this_host(), devices = kernels::cuda::visible_devices();
  if (ranks > devices)
    return std::to_string(ranks) + " ranks on this host share " + std::to_string(devices) +
           " GPU(s); NCCL needs one GPU per rank: start at most " + std::to_string(devices) +
           " ranks per host, or use --collectives mpi (host-staged)";
  return std::nullopt;
#else
  return std::string("this groupshard was built without NCCL");
#endif
}

}  // namespace

std::unique_ptr<TensorChannel> open_tensor_channel(const RunConfig& config, ControlChannel& control,
                                                   kernels::Backend& backend) {
  const std::string& choice = config.parallel.collectives;
  GS_CHECK(choice == "auto" || choice == "nccl" || choice == "mpi",
           "unknown parallel.collectives '" << choice << "': use auto, nccl or mpi");
  const std::optional<std::string> why_not = nccl_unavailable(backend);
  GS_CHECK(choice != "nccl" || !why_not, "parallel.collectives: nccl is not possible: " << *why_not);
  // NCCL joins every rank, so every rank must choose it.
  const std::byte mine{static_cast<unsigned char>(why_not ? 0 : 1)};
  std::vector<std::byte> all(control.size());
  control.all_gather(std::span(&mine, 1), all);
  const bool everyone = std::all_of(all.begin(), all.end(), [](std::byte b) { return b != std::byte{0}; });
  GS_CHECK(choice != "nccl" || everyone, "parallel.collectives: nccl is not possible on every host");
#ifdef GROUPSHARD_WITH_CUDA
  if (choice != "mpi" && everyone) return open_nccl_channel(control, backend, config.runtime.collective_timeout_s);
#endif
  auto mpi = std::make_unique<MpiTensorChannel>(MPI_COMM_WORLD);
  mpi->limit_collective_wait(config.runtime.collective_timeout_s);  // a step's collectives
  if (backend.memory_space() == kernels::MemorySpace::host) return mpi;
  return std::make_unique<StagedTensorChannel>(std::move(mpi), backend);
}

RankSlice load_rank_slice(const WeightSource& source, const ShardPlan& plan, ControlChannel& control,
                          const RunConfig::Runtime& runtime, const ModelLimits& limits) {
  RankSlice slice{source.config(), limits, open_backend(runtime, plan, control, limits), {}};
  slice.weights = LlamaWeights::load(source, plan, control.rank(), *slice.backend,
                                     weight_type_from_name(runtime.weight_dtype));
  return slice;
}

RankModel build_rank_model(ControlChannel& control, const RunConfig& config, const ShardPlan& plan,
                           RankSlice slice) {
  RankModel m;
  run_collective_phase(control, [&] {
    m.channel = open_tensor_channel(config, control, *slice.backend);
    m.timed = std::make_unique<TimedTensorChannel>(*m.channel);
    m.model = std::make_unique<LlamaModel>(slice.config, plan, *m.timed, std::move(slice.backend),
                                           std::move(slice.weights), slice.limits);
  });
  return m;
}

}  // namespace gs
