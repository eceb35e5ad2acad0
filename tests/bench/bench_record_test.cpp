// Result files: JSON and CSV carry the same fields in the same order, CSV appends
// write the header once, and a CSV holding other fields is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/bench_record.h"
#include "bench/memory_bandwidth.h"
#include "common/check.h"

namespace gs::bench {
namespace {

std::filesystem::path temp_file(const std::string& name) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove(path);
  return path;
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

BenchRecord sample(int batch) {
  BenchRecord r;
  r.model = "dir/\"quoted\" model.bin";
  r.shape = "h=8,g=2,d=16,layers=2,ffn=64,vocab=256";
  r.batch = batch;
  r.decode_step_median_ms = 1.5;
  r.kv_cache_bytes_per_rank = 123456789012;
  return r;
}

TEST(BenchRecord, CsvAppendsWriteTheHeaderOnce) {
  const std::filesystem::path path = temp_file("groupshard_bench_record_test.csv");
  append_csv(path, {sample(1), sample(4)});
  append_csv(path, {sample(16)});
  const std::vector<std::string> lines = lines_of(path);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], csv_header());
  EXPECT_EQ(lines[0].rfind("model,shape,tp,strategy,", 0), 0u) << lines[0];
  // Text is quoted (the shape holds commas), quotes doubled; integers stay exact.
  EXPECT_EQ(lines[3].rfind("\"dir/\"\"quoted\"\" model.bin\",\"h=8,g=2,d=16,layers=2,ffn=64,vocab=256\",1,", 0), 0u)
      << lines[3];
  EXPECT_NE(lines[3].find(",123456789012,"), std::string::npos) << lines[3];
  std::filesystem::remove(path);
}

TEST(BenchRecord, CsvWithOtherFieldsIsRefused) {
  const std::filesystem::path path = temp_file("groupshard_bench_record_other.csv");
  std::ofstream(path) << "a,b,c\n1,2,3\n";
  EXPECT_THROW(check_csv_appendable(path), Error);
  EXPECT_THROW(append_csv(path, {sample(1)}), Error);
  EXPECT_EQ(lines_of(path).size(), 2u) << "nothing may be appended to a foreign file";
  std::filesystem::remove(path);
  EXPECT_THROW(check_csv_appendable("/no/such/folder/results.csv"), Error);
}

TEST(BenchRecord, JsonHasTheCsvFieldsInOrder) {
  const nlohmann::ordered_json json = records_to_json({sample(4)});
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 1u);
  std::string names;
  for (const auto& item : json[0].items()) {
    if (!names.empty()) names += ',';
    names += item.key();
  }
  EXPECT_EQ(names, csv_header());
  EXPECT_EQ(json[0]["batch"], 4);
  EXPECT_EQ(json[0]["kv_cache_bytes_per_rank"], 123456789012);
  EXPECT_EQ(json[0]["decode_step_median_ms"], 1.5);
}

TEST(BenchRecord, TableHasOneLinePerRecordAndAHeader) {
  const std::string table = format_table({sample(1), sample(4)});
  std::istringstream in(table);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u) << table;
  EXPECT_NE(lines[0].find("step ms"), std::string::npos);
}

TEST(MemoryBandwidth, MeasuresAPositiveFiniteRate) {
  const double gbps = measure_read_bandwidth(std::size_t(8) << 20, 2);
  EXPECT_GT(gbps, 0.1);
  EXPECT_LT(gbps, 1e5);
  EXPECT_GE(default_stream_bytes(), std::size_t(256) << 20);
  EXPECT_LE(default_stream_bytes(), std::size_t(512) << 20);
  EXPECT_THROW(measure_read_bandwidth(16, 1), Error);
}

}  // namespace
}  // namespace gs::bench
