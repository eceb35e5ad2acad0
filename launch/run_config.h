// RunConfig: everything a run is configured with, from a YAML file (sections
// model, parallel, runtime, sampling, server) overridden by command-line flags.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace gs {

struct RunConfig {
  struct Model {
    std::string path;       // llama2.c .bin or Hugging Face directory
    std::string tokenizer;  // empty: look beside the model
  } model;
  struct Parallel {
    std::string strategy = "group";  // group | replicate
    // Tensor channel: nccl (one GPU per rank), mpi (host memory; device tensors
    // staged through it), auto (nccl when the backend is cuda and every rank of a
    // host has its own GPU, else mpi).
    std::string collectives = "auto";
  } parallel;
  struct Runtime {
    int threads = 0;            // per rank; 0 = this host's cores / ranks on this host
    int max_seq_len = 0;        // KV-cache positions per sequence; 0 = the model's
    int max_batch = 8;          // sequences decoded together (KV-cache slots)
    int max_step_tokens = 256;  // tokens per forward step; longer prompts prefill in chunks
    int kv_block_size = 16;     // positions per KV-cache block (a multiple of 16)
    int kv_cache_tokens = 0;    // positions each rank's KV cache holds; 0 = max_batch x max_seq_len
    std::string backend = "cpu";  // cpu | reference | cuda
    int device = -1;  // cuda: the GPU; -1 = the rank's index on its host modulo the visible GPUs
    bool cuda_graphs = false;
    double collective_timeout_s = 300;  // once loaded, a collective some rank does not join by then ends the job
    std::string weight_dtype = "f32";  // f32 | bf16: how matrices are stored; compute is f32
    // auto | bf16 | f32: the KV cache's element type; auto = the backend's (cuda: bf16,
    // cpu and reference: f32, the only type they keep).
    std::string kv_dtype = "auto";
  } runtime;
  struct Sampling {
    int max_tokens = 128;
    float temperature = 0.0f;  // 0 = greedy
    int top_k = 0;
    float top_p = 1.0f;
    std::uint64_t seed = 0;
    bool ignore_eos = false;
  } sampling;
  struct Server {  // `groupshard serve`
    std::string host = "127.0.0.1";
    int port = 8000;             // 0 = any free port (printed at start)
    int max_queue = 256;         // requests waiting for admission at most; more get 429
    std::string api_key;         // empty = none; else clients send "Authorization: Bearer KEY"
    std::string chat_template;   // llama-2 | llama-3 | chatml | mistral; empty = from tokenizer_config.json
    std::string model_name;      // the id clients ask for; empty = the model file's or folder's name
    int http_threads = 128;      // connections served at once
  } server;
};

// Reads a YAML file into config (keys absent from the file keep their values).
// Unknown sections or keys and values of the wrong type are errors naming the key,
// the file and the line. Relative model paths are taken from the file's folder.
void load_run_config(const std::filesystem::path& file, RunConfig& config);

// The resolved config as YAML, for --verbose.
std::string run_config_to_yaml(const RunConfig& config);

}  // namespace gs
