// Checks `groupshard bench --json` files as a user would read them: every field
// present with its unit in the name, positive numbers, figures consistent with one
// another and with the model's shape, the KV cache of the second file twice that
// of the first (G = 4 against G = 2 on 2 ranks), and the third file (G = 2 with
// bf16 weights) holding half the weight bytes.
// Usage: bench_json_check G2.json G4.json G2_BF16.json
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {

std::vector<std::string> g_files;

nlohmann::json read(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  return nlohmann::json::parse(in);
}

// "h=8,g=2,..." -> {h: 8, g: 2, ...}, parsed here independently of the bench library.
std::map<std::string, std::int64_t> shape_of(const std::string& text) {
  std::map<std::string, std::int64_t> shape;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    shape[item.substr(0, item.find('='))] = std::stoll(item.substr(item.find('=') + 1));
  return shape;
}

const std::vector<std::string> kFields = {
    "model", "shape", "tp", "strategy", "threads_per_rank", "weight_dtype", "batch", "context_tokens",
    "gen_tokens", "warmup_runs", "measured_runs", "prefill_tokens_per_s", "time_to_first_token_ms",
    "decode_step_median_ms", "decode_step_p90_ms", "decode_ms_per_token", "decode_tokens_per_s",
    "kv_cache_bytes_per_rank", "kv_bytes_per_token_per_rank", "kv_replication", "weight_bytes_per_rank",
    "plan_weight_bytes_per_rank", "allreduce_ms_per_step", "allreduce_share", "decode_read_bytes_per_step",
    "achieved_gb_per_s", "stream_gb_per_s", "bandwidth_ratio"};

TEST(BenchJson, EveryRecordHasEveryFieldAndPositiveNumbers) {
  for (const std::string& file : g_files) {
    const nlohmann::json records = read(file);
    ASSERT_TRUE(records.is_array()) << file;
    ASSERT_EQ(records.size(), 4u) << file << ": a 2 x 2 grid of batch and context";
    for (const nlohmann::json& r : records) {
      ASSERT_EQ(r.size(), kFields.size()) << file << ": " << r.dump();
      for (const std::string& field : kFields) {
        ASSERT_TRUE(r.contains(field)) << file << ": no field " << field;
        if (r[field].is_number()) {
          EXPECT_GT(r[field].get<double>(), 0.0) << file << ": " << field;
        }
      }
      EXPECT_EQ(r["model"], "random");
      EXPECT_EQ(r["tp"], 2);
      EXPECT_EQ(r["strategy"], "group");
      EXPECT_EQ(r["weight_dtype"], file == g_files.back() ? "bf16" : "f32");
      EXPECT_LT(r["allreduce_share"].get<double>(), 1.0);
    }
  }
}

TEST(BenchJson, FiguresAgreeWithEachOtherAndTheShape) {
  for (const std::string& file : g_files) {
    for (const nlohmann::json& r : read(file)) {
      const auto s = shape_of(r["shape"]);
      const std::int64_t tp = r["tp"], batch = r["batch"], context = r["context_tokens"], gen = r["gen_tokens"];
      const std::int64_t dim = s.at("h") * s.at("d"), layers = s.at("layers");
      SCOPED_TRACE(file + " batch " + std::to_string(batch) + " context " + std::to_string(context));

      // Rank 0 of 2: its heads, half the MLP and half the vocabulary, plus the
      // replicated embedding and norms. G >= tp here, so no K/V head is copied.
      const std::int64_t q = s.at("h") / tp * s.at("d"), kv = s.at("g") / tp * s.at("d");
      const std::int64_t values = s.at("vocab") * dim + (2 * layers + 1) * dim +
                                  layers * (2 * q * dim + 2 * kv * dim + 3 * (s.at("ffn") / tp) * dim) +
                                  s.at("vocab") / tp * dim;
      const std::int64_t weights = r["weight_bytes_per_rank"];
      if (r["weight_dtype"] == "f32") {
        EXPECT_EQ(weights, 4 * values);
        EXPECT_EQ(r["plan_weight_bytes_per_rank"], 4 * values);
      } else {
        // Matrices at 2 bytes; norms (and biases) may stay f32.
        EXPECT_GE(weights, 2 * values);
        EXPECT_LE(weights, 2 * values + 2 * (2 * layers + 1) * dim);
        EXPECT_EQ(r["plan_weight_bytes_per_rank"], 2 * values);
      }
      EXPECT_EQ(r["kv_replication"], 1);
      const std::int64_t kv_per_token = 2 * layers * kv * 4;
      EXPECT_EQ(r["kv_bytes_per_token_per_rank"], kv_per_token);
      // Each sequence's positions in whole KV-cache blocks of 16.
      EXPECT_EQ(r["kv_cache_bytes_per_rank"], kv_per_token * batch * ((context + gen + 15) / 16 * 16));

      const double median = r["decode_step_median_ms"];
      EXPECT_GE(r["decode_step_p90_ms"].get<double>(), median);
      EXPECT_DOUBLE_EQ(r["decode_ms_per_token"].get<double>(), median / batch);
      // At least half the steps take the median or longer, so the mean rate is at
      // most twice the median's.
      const double tokens_per_s = r["decode_tokens_per_s"];
      EXPECT_LE(tokens_per_s, 2 * batch / (median * 1e-3));
      EXPECT_NEAR(r["allreduce_ms_per_step"].get<double>(),
                  r["allreduce_share"].get<double>() * 1e3 * batch / tokens_per_s, 1e-6);

      // Bytes a step reads: weights but the embedding table, K/V at the mean context.
      const double attended = context + (gen + 1) / 2.0;
      const double unread = double(weights) / values * double(s.at("vocab") * dim);
      const double read = double(weights) - unread + double(kv_per_token) * batch * attended;
      EXPECT_NEAR(r["decode_read_bytes_per_step"].get<double>(), read, 1.0);
      EXPECT_NEAR(r["achieved_gb_per_s"].get<double>(), read / (median * 1e-3) / 1e9,
                  1e-3 * r["achieved_gb_per_s"].get<double>());
      EXPECT_NEAR(r["bandwidth_ratio"].get<double>(),
                  r["achieved_gb_per_s"].get<double>() / r["stream_gb_per_s"].get<double>(), 1e-9);
    }
  }
}

TEST(BenchJson, TwiceTheGroupsTwiceTheKvCachePerRank) {
  const nlohmann::json g2 = read(g_files[0]), g4 = read(g_files[1]);
  ASSERT_EQ(g2.size(), g4.size());
  for (std::size_t i = 0; i < g2.size(); ++i) {
    ASSERT_EQ(g2[i]["batch"], g4[i]["batch"]);
    ASSERT_EQ(g2[i]["context_tokens"], g4[i]["context_tokens"]);
    EXPECT_EQ(g4[i]["kv_cache_bytes_per_rank"].get<std::int64_t>(),
              2 * g2[i]["kv_cache_bytes_per_rank"].get<std::int64_t>());
  }
}

TEST(BenchJson, Bf16WeightsHalveTheWeightBytesAndNotTheCache) {
  const nlohmann::json f32 = read(g_files[0]), bf16 = read(g_files[2]);
  ASSERT_EQ(f32.size(), bf16.size());
  for (std::size_t i = 0; i < f32.size(); ++i) {
    EXPECT_EQ(bf16[i]["plan_weight_bytes_per_rank"].get<std::int64_t>() * 2,
              f32[i]["plan_weight_bytes_per_rank"].get<std::int64_t>());
    EXPECT_LT(bf16[i]["weight_bytes_per_rank"].get<double>(), 0.55 * f32[i]["weight_bytes_per_rank"].get<double>());
    EXPECT_EQ(bf16[i]["kv_cache_bytes_per_rank"], f32[i]["kv_cache_bytes_per_rank"]);
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  g_files.assign(argv + 1, argv + argc);
  if (g_files.size() != 3) {
    std::fprintf(stderr, "usage: bench_json_check G2.json G4.json G2_BF16.json\n");
    return 2;
  }
  return RUN_ALL_TESTS();
}
