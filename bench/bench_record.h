// BenchRecord: one row of `groupshard bench` results (one model, tp, strategy,
// batch and context), and the writers that print or save rows. Every field name
// carries its unit; JSON and CSV get the same fields in the same order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace gs::bench {

struct BenchRecord {
  // What ran.
  std::string model;          // checkpoint path, or "random" for --random-model
  std::string shape;          // "h=..,g=..,d=..,layers=..,ffn=..,vocab=.."
  int tp = 1;
  std::string strategy;       // group | replicate
  int threads_per_rank = 1;
  std::string weight_dtype;   // storage type of the weights
  int batch = 1;
  int context_tokens = 0;
  int gen_tokens = 0;
  int warmup_runs = 0;
  int measured_runs = 0;
  // Prefill of every sequence's prompt.
  double prefill_tokens_per_s = 0;
  double time_to_first_token_ms = 0;
  // Decode steps of the whole batch.
  double decode_step_median_ms = 0;
  double decode_step_p90_ms = 0;
  double decode_ms_per_token = 0;     // median step / batch
  double decode_tokens_per_s = 0;     // batch * steps / measured decode time
  // Memory of rank 0 (the largest slices: even splits give the larger parts first).
  std::int64_t kv_cache_bytes_per_rank = 0;   // allocated: batch * (context + gen) positions
  std::int64_t kv_bytes_per_token_per_rank = 0;
  int kv_replication = 1;                     // most ranks holding one K/V head
  std::int64_t weight_bytes_per_rank = 0;     // the model's buffers
  std::int64_t plan_weight_bytes_per_rank = 0;  // ShardPlan footprint at weight_dtype's size
  // Communication on rank 0 during the measured decode steps.
  double allreduce_ms_per_step = 0;
  double allreduce_share = 0;                 // of decode time, 0..1
  // Memory bandwidth of rank 0.
  std::int64_t decode_read_bytes_per_step = 0;  // weights + KV read at the mean context
  double achieved_gb_per_s = 0;
  double stream_gb_per_s = 0;                 // measured read bandwidth, all ranks at once
  double bandwidth_ratio = 0;                 // achieved / stream

  // Sets stream_gb_per_s and bandwidth_ratio (achieved_gb_per_s must be set).
  void set_stream_bandwidth(double gb_per_s);

  using Value = std::variant<std::int64_t, double, std::string>;
  std::vector<std::pair<std::string, Value>> fields() const;
};

// Objects keep the fields() order, so a reader sees them grouped as above.
nlohmann::ordered_json records_to_json(const std::vector<BenchRecord>& records);
// Overwrites path with a JSON array of records.
void write_json(const std::filesystem::path& path, const std::vector<BenchRecord>& records);
// Throws gs::Error unless rows can be appended to path: its folder exists and the
// file is new, empty or starts with this version's header.
void check_csv_appendable(const std::filesystem::path& path);
// Appends rows to path (checked as above), writing the header first when the file
// is new or empty.
void append_csv(const std::filesystem::path& path, const std::vector<BenchRecord>& records);
std::string csv_header();
// A readable table: one line per record.
std::string format_table(const std::vector<BenchRecord>& records);

}  // namespace gs::bench
