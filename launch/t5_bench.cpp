// `bench --random-model t5:...`: the decoder step of a random T5 model (the GQA
// paper's setting) at this job's tp, with the cross-attention KV bytes each rank
// reads per step — so the paper's decode time against G can be measured on the
// engine itself. Each rank writes the same random checkpoint (seeded) to its own
// temporary folder and loads its slices from it, as from any T5 checkpoint.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "engine/step_executor.h"
#include "engine/t5/t5_random_checkpoint.h"
#include "common/check.h"
#include "launch/collective_phase.h"
#include "launch/model_setup.h"
#include "launch/t5_commands.h"
#include "launch/t5_setup.h"

namespace gs {

namespace {

using Clock = std::chrono::steady_clock;

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

// Removes the rank's temporary checkpoint however the bench ends.
struct TemporaryFolder {
  std::filesystem::path path;
  ~TemporaryFolder() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

int run_t5_bench(const BenchOptions& o, ControlChannel& comm) {
  RunConfig config;
  T5RandomShape shape;
  TemporaryFolder folder;
  int positions = 0;
  run_collective_phase(comm, [&] {
    GS_CHECK(!o.common.model, "give either --model PATH or --random-model SHAPE, not both");
    GS_CHECK(o.prefill_chunk.empty() && o.csv.empty() && !o.stream,
             "--prefill-chunk, --csv and --stream are not available with a T5 --random-model");
    CommonOptions common = o.common;
    common.model = "random";
    config = resolve_run_config(common);
    config.runtime.threads = apply_threads(config.runtime.threads);
    for (int b : o.batch) GS_CHECK(b >= 1, "--batch values must be at least 1, got " << b);
    for (int c : o.context) GS_CHECK(c >= 1, "--context values must be at least 1, got " << c);
    GS_CHECK(o.gen_tokens >= 1 && o.repeat >= 1 && o.warmup >= 0, "--gen-tokens and --repeat must be at least 1");
    shape = parse_t5_random_shape(*o.random_model);
    positions = std::max(*std::max_element(o.context.begin(), o.context.end()), o.gen_tokens + 1);
    const T5Config t5 = shape.config(positions);
    const ShardStrategy strategy = strategy_from_name(config.parallel.strategy);
    t5_encoder_plan(t5, comm.size(), strategy);
    t5_decoder_plan(t5, comm.size(), strategy);
    folder.path = std::filesystem::temp_directory_path() /
                  ("groupshard_t5_bench_" + std::to_string(::getpid()) + "_" + std::to_string(comm.rank()));
    std::filesystem::remove_all(folder.path);
    std::filesystem::create_directories(folder.path);
    write_random_t5_checkpoint(shape, positions, o.seed, folder.path);
  });

  nlohmann::json records = nlohmann::json::array();
  for (int batch : o.batch) {
    for (int context : o.context) {
      ModelLimits limits;
      limits.slots = batch;
      limits.capacity = positions;
      limits.max_step_tokens = std::max(batch, config.runtime.max_step_tokens);
      std::unique_ptr<T5Checkpoint> checkpoint;
      run_collective_phase(comm, [&] { checkpoint = std::make_unique<T5Checkpoint>(folder.path); });
      const T5RankModel built = load_t5_rank_model(comm, config, *checkpoint, limits);
      checkpoint.reset();
      StepExecutor executor(*built.model, comm);
      if (comm.rank() != 0) {
        executor.serve();
        continue;
      }
      const T5Model& model = *built.model;
      std::mt19937_64 rng(o.seed + batch * 7919 + context);
      std::uniform_int_distribution<int> token(2, model.config().vocab_size - 1);
      const auto encode_start = Clock::now();
      for (int slot = 0; slot < batch; ++slot) {
        std::vector<int> input(context);
        for (int& t : input) t = token(rng);
        executor.encode(slot, input);
      }
      const double encode_s = std::chrono::duration<double>(Clock::now() - encode_start).count();
      std::vector<double> steps;
      StepBatch step;
      for (int run = 0; run < o.warmup + o.repeat; ++run) {
        for (int p = 0; p < o.gen_tokens; ++p) {
          step.clear();
          for (int slot = 0; slot < batch; ++slot) step.add(p == 0 ? model.decoder_start_id() : token(rng), p, slot, true);
          const auto start = Clock::now();
          executor.run(step);
          if (run >= o.warmup) steps.push_back(std::chrono::duration<double>(Clock::now() - start).count());
        }
      }
      executor.stop();
      // K and V of the rank's decoder KV heads, every decoder layer, f32: read once per step.
      const T5Config& t5 = model.t5_config();
      nlohmann::json cross = nlohmann::json::array(), self = nlohmann::json::array();
      for (const RankShard& r : model.plan().ranks()) {
        const std::int64_t per_position = 2LL * t5.n_decoder_layers * r.kv_heads.size() * t5.d_kv * 4;
        cross.push_back(per_position * context * batch);
        self.push_back(per_position * ((o.gen_tokens + 1) / 2) * batch);
      }
      const double median = quantile(steps, 0.5);
      records.push_back({{"shape", shape.text()}, {"tp", comm.size()}, {"kv_groups", t5.n_kv_heads},
                         {"strategy", config.parallel.strategy}, {"threads_per_rank", config.runtime.threads},
                         {"batch", batch}, {"encoder_tokens", context}, {"gen_tokens", o.gen_tokens},
                         {"encode_ms", 1e3 * encode_s}, {"decoder_step_median_ms", 1e3 * median},
                         {"decoder_step_p90_ms", 1e3 * quantile(steps, 0.9)},
                         {"decode_tokens_per_s", batch / median},
                         {"cross_kv_bytes_per_step_by_rank", cross},
                         {"self_kv_bytes_per_step_by_rank_mean", self},
                         {"kv_replication", model.plan().max_replication()}});
    }
  }
  if (comm.rank() != 0) return 0;
  std::printf("groupshard bench: T5 %s, tp %d, decoder GQA-%d, strategy %s, %d thread(s)/rank\n",
              shape.text().c_str(), comm.size(), shape.g, config.parallel.strategy.c_str(), config.runtime.threads);
  std::printf("%5s %8s %10s %15s %12s %11s %28s\n", "batch", "enc tok", "encode ms", "dec step ms p50", "p90",
              "decode/s", "cross KV bytes/step (rank 0)");
  for (const nlohmann::json& r : records)
    std::printf("%5d %8d %10.2f %15.3f %12.3f %11.1f %28lld\n", r["batch"].get<int>(), r["encoder_tokens"].get<int>(),
                r["encode_ms"].get<double>(), r["decoder_step_median_ms"].get<double>(),
                r["decoder_step_p90_ms"].get<double>(), r["decode_tokens_per_s"].get<double>(),
                static_cast<long long>(r["cross_kv_bytes_per_step_by_rank"][0].get<std::int64_t>()));
  if (!o.json.empty()) {
    std::ofstream out(o.json);
    out << records.dump(2) << "\n";
    GS_CHECK(out.good(), "cannot write " << o.json);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace gs
