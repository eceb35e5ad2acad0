#include "launch/common_options.h"

#include "common/check.h"

namespace gs {

void add_common_options(CLI::App& command, CommonOptions& o) {
  command.add_option("--config", o.config_file, "YAML config (sections model, parallel, runtime, sampling)");
  command.add_option("--model", o.model, "llama2.c .bin file or Hugging Face directory");
  command.add_option("--tokenizer", o.tokenizer, "tokenizer.model or tokenizer.bin (default: beside the model)");
  command.add_option("--strategy", o.strategy, "KV sharding: group (default) or replicate");
  command.add_option("--backend", o.backend, "kernels: cpu (default), reference or cuda (one GPU per rank)");
  command.add_option("--device", o.device, "cuda: the GPU index (default: the rank's index on its host modulo the GPUs)");
  command.add_flag("--cuda-graphs", o.cuda_graphs, "cuda: replay decode steps as CUDA graphs");
  command.add_option("--collectives", o.collectives, "tensor channel: auto (default), nccl or mpi (host-staged; ranks may share a GPU)");
  command.add_option("--weight-dtype", o.weight_dtype, "weight storage: f32 (default) or bf16 (half the bytes per step; f32 compute)");
  command.add_option("--kv-dtype", o.kv_dtype,
                     "KV cache elements: auto (default: bf16 on cuda, f32 on cpu), bf16 (cuda only) or f32");
  command.add_option("--threads", o.threads, "threads per rank (default: cores / ranks on the host)");
  command.add_option("--max-seq-len", o.max_seq_len, "KV-cache positions per sequence (default: the model's)");
  command.add_option("--max-batch", o.max_batch, "sequences decoded together");
  command.add_option("--max-step-tokens", o.max_step_tokens, "tokens per forward step (prefill chunk)");
  command.add_option("--kv-block-size", o.kv_block_size, "positions per KV-cache block, a multiple of 16 (default 16)");
  command.add_option("--kv-cache-tokens", o.kv_cache_tokens,
                     "positions each rank's KV cache holds (default: max batch x max sequence length)");
  command.add_flag("--verbose", o.verbose, "print the resolved config, the shard plan and throughput on rank 0 (stderr)");
}

RunConfig resolve_run_config(const CommonOptions& o) {
  RunConfig config;
  if (!o.config_file.empty()) load_run_config(o.config_file, config);
  if (o.model) config.model.path = *o.model;
  if (o.tokenizer) config.model.tokenizer = *o.tokenizer;
  if (o.strategy) config.parallel.strategy = *o.strategy;
  if (o.backend) config.runtime.backend = *o.backend;
  if (o.device) config.runtime.device = *o.device;
  if (o.cuda_graphs) config.runtime.cuda_graphs = true;
  if (o.collectives) config.parallel.collectives = *o.collectives;
  if (o.weight_dtype) config.runtime.weight_dtype = *o.weight_dtype;
  if (o.kv_dtype) config.runtime.kv_dtype = *o.kv_dtype;
  if (o.threads) config.runtime.threads = *o.threads;
  if (o.max_seq_len) config.runtime.max_seq_len = *o.max_seq_len;
  if (o.max_batch) config.runtime.max_batch = *o.max_batch;
  if (o.max_step_tokens) config.runtime.max_step_tokens = *o.max_step_tokens;
  if (o.kv_block_size) config.runtime.kv_block_size = *o.kv_block_size;
  if (o.kv_cache_tokens) config.runtime.kv_cache_tokens = *o.kv_cache_tokens;
  GS_CHECK(!config.model.path.empty(), "no model given: pass --model PATH or set model.path in --config");
  return config;
}

}  // namespace gs
