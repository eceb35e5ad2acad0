#include "launch/bench_command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include "bench/decode_benchmark.h"
#include "bench/memory_bandwidth.h"
#include "bench/prefill_benchmark.h"
#include "bench/random_model_shape.h"
#include "bench/random_weight_source.h"
#include "engine/checkpoint/weight_source.h"
#include "common/check.h"
#ifdef GROUPSHARD_WITH_CUDA
#include "kernels/cuda/cuda_backend.h"
#endif
#include "launch/collective_phase.h"
#include "launch/model_setup.h"
#include "launch/progress.h"
#include "launch/t5_commands.h"
#include "parallel/timed_tensor_channel.h"

namespace gs {

namespace {

constexpr int kStreamRuns = 10;

// The config file and flags, with the model given exactly one way.
RunConfig resolve_bench_config(const BenchOptions& o) {
  RunConfig from_file;
  if (!o.common.config_file.empty()) load_run_config(o.common.config_file, from_file);
  const bool has_model = o.common.model || !from_file.model.path.empty();
  if (o.stream) {
    GS_CHECK(!has_model && !o.random_model, "--stream measures memory bandwidth only; drop the model");
  } else {
    GS_CHECK(!(has_model && o.random_model), "give either --model PATH or --random-model SHAPE, not both");
    GS_CHECK(has_model || o.random_model,
             "no model given: pass --model PATH or --random-model SHAPE (or --stream alone)");
  }
  CommonOptions common = o.common;
  // resolve_run_config wants a model path; without a checkpoint nothing opens it.
  if (!has_model) common.model = "random";
  return resolve_run_config(common);
}

// Every rank measures at once, as the ranks of a tp job share the memory system.
// Rank 0's figure is the yardstick: it holds the largest slices.
// For the CUDA backend the yardstick is the GPU's own copy bandwidth (bytes read and written).
double measure_stream(ControlChannel& comm, const RunConfig::Runtime& runtime) {
  comm.barrier();
#ifdef GROUPSHARD_WITH_CUDA
  if (runtime.backend == "cuda") return kernels::cuda::copy_bandwidth_gb_per_s(runtime.device, std::size_t(1) << 30, kStreamRuns);
#endif
  return bench::measure_read_bandwidth(bench::default_stream_bytes(), kStreamRuns);
}

int print_stream(double mine, int threads, ControlChannel& comm) {
  std::vector<double> all(comm.size());
  comm.all_gather(std::as_bytes(std::span(&mine, 1)), std::as_writable_bytes(std::span(all)));
  if (comm.rank() != 0) return 0;
  double total = 0;
  for (int r = 0; r < comm.size(); ++r) {
    std::printf("rank %d: %.2f GB/s\n", r, all[r]);
    total += all[r];
  }
  std::printf("stream read bandwidth: %.2f GB/s (%d rank(s) at once, %d thread(s) each, %zu MiB "
              "buffer, best of %d)\n",
              total, comm.size(), threads, bench::default_stream_bytes() >> 20, kStreamRuns);
  return 0;
}

void check_lists(const BenchOptions& o) {
  for (int b : o.batch) GS_CHECK(b >= 1, "--batch values must be at least 1, got " << b);
  for (int c : o.context) GS_CHECK(c >= 1, "--context values must be at least 1, got " << c);
  GS_CHECK(o.gen_tokens >= 1, "--gen-tokens must be at least 1, got " << o.gen_tokens);
  GS_CHECK(o.warmup >= 0, "--warmup must be at least 0, got " << o.warmup);
  GS_CHECK(o.repeat >= 1, "--repeat must be at least 1, got " << o.repeat);
  for (int c : o.prefill_chunk) GS_CHECK(c >= 1, "--prefill-chunk values must be at least 1, got " << c);
}

// What every case shares: the resolved config, the weights to slice and the plan.
struct BenchSetup {
  RunConfig config;
  std::unique_ptr<WeightSource> source;
  std::optional<ShardPlan> plan;
  DType weight_type = DType::f32;
};

// Checks the arguments and opens or generates the model, with one verdict for all
// ranks. Only the config is set for --stream.
BenchSetup set_up(const BenchOptions& o, ControlChannel& comm) {
  BenchSetup s;
  run_collective_phase(comm, [&] {
    s.config = resolve_bench_config(o);
    s.config.runtime.threads = apply_threads(s.config.runtime.threads);
    if (o.stream) return;
    check_lists(o);
    backend_from_name(s.config.runtime.backend);  // a bad name fails before weights are made
    s.weight_type = weight_type_from_name(s.config.runtime.weight_dtype);
    const ShardStrategy strategy = strategy_from_name(s.config.parallel.strategy);
    int positions = *std::max_element(o.context.begin(), o.context.end()) + o.gen_tokens;
    for (int chunk : o.prefill_chunk) positions = std::max(positions, chunk);
    if (o.random_model) {
      // Shape errors first: they are cheaper than the weights.
      const bench::RandomModelShape shape = bench::parse_random_model_shape(*o.random_model);
      s.plan = ShardPlan::make(shape.config(positions).shape(), comm.size(), strategy);
      s.source = bench::make_random_weight_source(shape.config(positions), o.seed);
    } else {
      s.source = open_checkpoint(s.config.model.path);
      GS_CHECK(positions <= s.source->config().max_seq_len,
               "--context + --gen-tokens (or the largest --prefill-chunk) needs "
                   << positions << " positions but the model supports "
                   << s.source->config().max_seq_len);
      s.plan = ShardPlan::make(s.source->config().shape(), comm.size(), strategy);
    }
    if (comm.rank() == 0 && !o.csv.empty()) bench::check_csv_appendable(o.csv);
  });
  return s;
}

// Every rank loads its slice for one case, with the cache and step sizes of
// `runtime` for `sequences` sequences.
RankModel load_case_model(const BenchSetup& s, ControlChannel& comm, const RunConfig::Runtime& runtime,
                          int sequences) {
  RankSlice slice;
  run_collective_phase(comm, [&] {
    slice = load_rank_slice(*s.source, *s.plan, comm, runtime, model_limits(runtime, s.source->config(), sequences));
  });
  return build_rank_model(comm, s.config, *s.plan, std::move(slice));
}

// One batch and context: every rank loads its slice with a cache sized for the
// case; rank 0 measures and returns the record, the others serve its steps.
std::optional<bench::BenchRecord> run_case(const BenchOptions& o, const BenchSetup& s,
                                           ControlChannel& comm, const bench::DecodeCase& c,
                                           const bench::DecodeSettings& settings, Progress* progress) {
  RunConfig::Runtime runtime = s.config.runtime;
  runtime.max_seq_len = c.context + settings.gen_tokens;
  runtime.max_batch = c.batch;
  const RankModel built = load_case_model(s, comm, runtime, c.batch);
  LlamaModel* model = built.model.get();
  StepExecutor executor(*model, comm);
  if (comm.rank() != 0) {
    executor.serve();
    return std::nullopt;
  }
  const bench::DecodeMeasurement measurement =
      bench::run_decode_benchmark(executor, *built.timed, c, settings, [&](int tokens) { progress->add(tokens); });
  executor.stop();

  bench::BenchRecord r;
  r.model = o.random_model ? "random" : s.config.model.path;
  r.shape = bench::RandomModelShape::of(s.source->config()).text();
  r.strategy = s.config.parallel.strategy;
  r.threads_per_rank = s.config.runtime.threads;
  r.weight_dtype = dtype_name(s.weight_type);
  bench::fill_decode_figures(r, *model, 0, c, settings, measurement,
                             static_cast<int>(dtype_size(s.weight_type)));
  return r;
}

// One prefill chunk size: every rank loads its slice with one slot of `chunk`
// positions and steps of `chunk` tokens; rank 0 returns the median seconds.
std::optional<double> run_prefill_case(const BenchSetup& s, ControlChannel& comm, int chunk,
                                       const bench::DecodeSettings& settings) {
  RunConfig::Runtime runtime = s.config.runtime;
  runtime.max_seq_len = chunk;
  runtime.max_batch = 1;
  runtime.max_step_tokens = chunk;
  const RankModel built = load_case_model(s, comm, runtime, 1);
  StepExecutor executor(*built.model, comm);
  if (comm.rank() != 0) {
    executor.serve();
    return std::nullopt;
  }
  std::vector<double> seconds = bench::run_prefill_benchmark(executor, chunk, settings);
  executor.stop();
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

// Each case's step time and tokens/s against the batch-1 case of its context
// (measured in the same run): what batching buys. Nothing without a batch-1 case.
void print_batch_scaling(const std::vector<bench::BenchRecord>& records) {
  bool header = false;
  for (const bench::BenchRecord& r : records) {
    const auto one = std::find_if(records.begin(), records.end(), [&](const bench::BenchRecord& b) {
      return b.batch == 1 && b.context_tokens == r.context_tokens;
    });
    if (one == records.end()) continue;
    if (!header) {
      std::printf("batch scaling (against batch 1 at the same context, this run):\n"
                  "%5s %7s %9s %12s %10s %14s\n",
                  "batch", "context", "step ms", "step / b1", "decode/s", "decode/s / b1");
      header = true;
    }
    std::printf("%5d %7d %9.3f %12.2f %10.1f %14.2f\n", r.batch, r.context_tokens,
                r.decode_step_median_ms, r.decode_step_median_ms / one->decode_step_median_ms,
                r.decode_tokens_per_s, r.decode_tokens_per_s / one->decode_tokens_per_s);
  }
}

void print_prefill(const std::vector<std::pair<int, double>>& chunks) {
  if (chunks.empty()) return;
  std::printf("prefill (one sequence, one chunk per step, median of the measured runs):\n"
              "%6s %10s %10s\n", "chunk", "ms", "tokens/s");
  for (const auto& [chunk, seconds] : chunks)
    std::printf("%6d %10.1f %10.1f\n", chunk, 1e3 * seconds, chunk / seconds);
}

}  // namespace

Subcommand add_bench_command(CLI::App& app, BenchOptions& o) {
  CLI::App* cmd = app.add_subcommand("bench", "decode/prefill throughput, memory and bandwidth per rank");
  add_common_options(*cmd, o.common);
  // The cache is sized from --batch, --context and --gen-tokens, and no text is
  // tokenized: these common flags would be ignored, so they are not offered.
  for (const char* unused : {"--max-seq-len", "--max-batch", "--tokenizer"})
    cmd->remove_option(cmd->get_option(unused));
  cmd->add_option("--random-model", o.random_model,
                  "random weights of this shape instead of --model, e.g. "
                  "h=32,g=8,d=128,layers=8,ffn=5632,vocab=32000, or a T5 shape "
                  "t5:h=8,g=2,d=64,enc_layers=2,dec_layers=2,ffn=1024,vocab=32128");
  cmd->add_option("--batch", o.batch, "sequences decoded together (list, e.g. 1,4,16)")->delimiter(',');
  cmd->add_option("--context", o.context, "positions in the KV cache before decoding (list, e.g. 128,1024)")
      ->delimiter(',');
  cmd->add_option("--gen-tokens", o.gen_tokens, "decode steps per run");
  cmd->add_option("--warmup", o.warmup, "decode runs before the measured ones");
  cmd->add_option("--repeat", o.repeat, "measured decode runs");
  cmd->add_option("--seed", o.seed, "seed of the random weights and prompts");
  cmd->add_option("--json", o.json, "write the results as a JSON array to FILE");
  cmd->add_option("--csv", o.csv, "append the results to the CSV FILE (header once)");
  cmd->add_option("--prefill-chunk", o.prefill_chunk,
                  "also time one prompt of this many tokens as a single step (list, e.g. 128,512)")
      ->delimiter(',');
  cmd->add_flag("--stream", o.stream, "only measure the memory read bandwidth of each rank (GB/s)");
  return {cmd, [&o](ControlChannel& comm) { return run_bench(o, comm); }};
}

int run_bench(const BenchOptions& o, ControlChannel& comm) {
  if (o.random_model && o.random_model->rfind("t5:", 0) == 0) return run_t5_bench(o, comm);
  const BenchSetup setup = set_up(o, comm);
  const double stream_before = measure_stream(comm, setup.config.runtime);
  if (o.stream) return print_stream(stream_before, setup.config.runtime.threads, comm);
  if (comm.rank() == 0 && o.common.verbose) print_resolved_config(setup.config, *setup.plan);

  const bench::DecodeSettings settings{o.gen_tokens, o.warmup, o.repeat, o.seed};
  std::optional<Progress> progress;
  if (comm.rank() == 0) {
    std::int64_t tokens = 0;
    for (int batch : o.batch)
      for (int context : o.context) tokens += bench::decode_case_tokens({batch, context}, settings);
    for (int chunk : o.prefill_chunk) tokens += std::int64_t{chunk} * (settings.warmup + settings.repeat);
    ProgressOptions options;
    options.label = "bench";
    options.unit = "tokens";
    progress.emplace(tokens, options);
  }
  std::vector<bench::BenchRecord> records;
  for (int batch : o.batch) {
    for (int context : o.context) {
      std::optional<bench::BenchRecord> record =
          run_case(o, setup, comm, {batch, context}, settings, progress ? &*progress : nullptr);
      if (record) records.push_back(std::move(*record));
    }
  }
  std::vector<std::pair<int, double>> prefill;
  for (int chunk : o.prefill_chunk) {
    const std::optional<double> seconds = run_prefill_case(setup, comm, chunk, settings);
    if (seconds) {
      prefill.emplace_back(chunk, *seconds);
      progress->add(std::int64_t{chunk} * (settings.warmup + settings.repeat));
    }
  }
  // Measured again after the cases, keeping the better figure: a burst of other
  // work on the machine during one measurement would understate the yardstick.
  const double stream = std::max(stream_before, measure_stream(comm, setup.config.runtime));
  if (comm.rank() != 0) return 0;
  progress->finish();
  for (bench::BenchRecord& r : records) r.set_stream_bandwidth(stream);

  const bench::BenchRecord& first = records.front();
  std::printf("groupshard bench: %s (%s), tp %d, strategy %s (KV replication %d), %d thread(s)/rank, "
              "weights %s, stream %.2f GB/s per rank\n",
              first.model.c_str(), first.shape.c_str(), first.tp, first.strategy.c_str(),
              setup.plan->max_replication(), first.threads_per_rank, first.weight_dtype.c_str(), stream);
  std::cout << bench::format_table(records) << std::flush;
  print_batch_scaling(records);
  print_prefill(prefill);
  if (!o.json.empty()) bench::write_json(o.json, records);
  if (!o.csv.empty()) bench::append_csv(o.csv, records);
  return 0;
}

}  // namespace gs
