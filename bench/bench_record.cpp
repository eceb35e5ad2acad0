#include "bench/bench_record.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "common/text.h"

namespace gs::bench {

void BenchRecord::set_stream_bandwidth(double gb_per_s) {
  stream_gb_per_s = gb_per_s;
  bandwidth_ratio = achieved_gb_per_s / gb_per_s;
}

std::vector<std::pair<std::string, BenchRecord::Value>> BenchRecord::fields() const {
  using I = std::int64_t;
  return {{"model", model},
          {"shape", shape},
          {"tp", I{tp}},
          {"strategy", strategy},
          {"threads_per_rank", I{threads_per_rank}},
          {"weight_dtype", weight_dtype},
          {"batch", I{batch}},
          {"context_tokens", I{context_tokens}},
          {"gen_tokens", I{gen_tokens}},
          {"warmup_runs", I{warmup_runs}},
          {"measured_runs", I{measured_runs}},
          {"prefill_tokens_per_s", prefill_tokens_per_s},
          {"time_to_first_token_ms", time_to_first_token_ms},
          {"decode_step_median_ms", decode_step_median_ms},
          {"decode_step_p90_ms", decode_step_p90_ms},
          {"decode_ms_per_token", decode_ms_per_token},
          {"decode_tokens_per_s", decode_tokens_per_s},
          {"kv_cache_bytes_per_rank", kv_cache_bytes_per_rank},
          {"kv_bytes_per_token_per_rank", kv_bytes_per_token_per_rank},
          {"kv_replication", I{kv_replication}},
          {"weight_bytes_per_rank", weight_bytes_per_rank},
          {"plan_weight_bytes_per_rank", plan_weight_bytes_per_rank},
          {"allreduce_ms_per_step", allreduce_ms_per_step},
          {"allreduce_share", allreduce_share},
          {"decode_read_bytes_per_step", decode_read_bytes_per_step},
          {"achieved_gb_per_s", achieved_gb_per_s},
          {"stream_gb_per_s", stream_gb_per_s},
          {"bandwidth_ratio", bandwidth_ratio}};
}

nlohmann::ordered_json records_to_json(const std::vector<BenchRecord>& records) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const BenchRecord& r : records) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const auto& [name, value] : r.fields())
      std::visit([&](const auto& v) { object[name] = v; }, value);
    array.push_back(std::move(object));
  }
  return array;
}

void write_json(const std::filesystem::path& path, const std::vector<BenchRecord>& records) {
  std::ofstream out(path, std::ios::trunc);
  GS_CHECK(out, "--json " << path.string() << ": cannot open for writing");
  out << records_to_json(records).dump(2) << '\n';
  out.close();
  GS_CHECK(!out.fail(), "--json " << path.string() << ": write failed");
}

std::string csv_header() {
  std::string header;
  for (const auto& [name, value] : BenchRecord{}.fields()) {
    if (!header.empty()) header += ',';
    header += name;
  }
  return header;
}

namespace {

// Text fields are model paths and shapes ("h=..,g=.."): quote them, doubling quotes.
std::string csv_cell(const BenchRecord::Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    std::string quoted = "\"";
    for (char c : *text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return std::to_string(*integer);
  return printf_text("%.6g", std::get<double>(value));
}

}  // namespace

namespace {

std::string first_line(const std::filesystem::path& path) {
  std::string line;
  std::ifstream in(path);
  if (in) std::getline(in, line);
  return line;
}

}  // namespace

void check_csv_appendable(const std::filesystem::path& path) {
  const std::filesystem::path folder = path.parent_path();
  GS_CHECK(folder.empty() || std::filesystem::is_directory(folder),
           "--csv " << path.string() << ": folder " << folder.string() << " does not exist");
  const std::string header = first_line(path);
  GS_CHECK(header.empty() || header == csv_header(),
           "--csv " << path.string()
                    << ": the file's header differs from this version's fields; use a new file");
}

void append_csv(const std::filesystem::path& path, const std::vector<BenchRecord>& records) {
  check_csv_appendable(path);
  const bool new_file = first_line(path).empty();
  std::ofstream out(path, std::ios::app);
  GS_CHECK(out, "--csv " << path.string() << ": cannot open for appending");
  if (new_file) out << csv_header() << '\n';
  for (const BenchRecord& r : records) {
    std::string row;
    for (const auto& [name, value] : r.fields()) {
      if (!row.empty()) row += ',';
      row += csv_cell(value);
    }
    out << row << '\n';
  }
  out.close();
  GS_CHECK(!out.fail(), "--csv " << path.string() << ": write failed");
}

std::string format_table(const std::vector<BenchRecord>& records) {
  std::ostringstream out;
  out << printf_text("%5s %7s %11s %9s %9s %9s %10s %10s %10s %7s %8s %6s\n", "batch", "context", "prefill/s",
                     "TTFT ms", "step ms", "p90 ms", "decode/s", "KV MiB", "weight MiB", "AR %", "GB/s", "of BW");
  for (const BenchRecord& r : records) {
    out << printf_text("%5d %7d %11.1f %9.2f %9.3f %9.3f %10.1f %10.1f %10.1f %7.1f %8.2f %6.2f\n", r.batch,
                       r.context_tokens, r.prefill_tokens_per_s, r.time_to_first_token_ms,
                       r.decode_step_median_ms, r.decode_step_p90_ms, r.decode_tokens_per_s,
                       r.kv_cache_bytes_per_rank / 1048576.0, r.weight_bytes_per_rank / 1048576.0,
                       100.0 * r.allreduce_share, r.achieved_gb_per_s, r.bandwidth_ratio);
  }
  return out.str();
}

}  // namespace gs::bench
