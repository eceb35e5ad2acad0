// The decode cost model against what the engine really allocates (LlamaWeights,
// KvCache) for models it can load, and against figures worked out by hand.
#include <algorithm>

#include <gtest/gtest.h>

#include "engine/llama_weights.h"
#include "engine/planner/decode_cost.h"
#include "kernels/backend.h"
#include "common/check.h"

namespace gs::planner {
namespace {

const std::string kShared = GS_SHARED_DIR;

DecodeSettings settings(int tp, int batch = 1, int context = 0) {
  DecodeSettings s;
  s.tp = tp;
  s.batch = batch;
  s.context = context;
  s.precision = Precision::f32;  // what the engine stores
  return s;
}

const HardwareProfile kCpu = hardware_profile("cpu", 10.0);

class AgainstEngine : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(AgainstEngine, WeightAndKvBytesEqualWhatTheEngineAllocates) {
  const auto [model_file, tp] = GetParam();
  const std::string path = kShared + "/models/" + model_file;
  const PlannerModel model = load_planner_model(path);
  const int batch = 3, context = 48;  // three blocks of 16 positions per sequence
  const DecodeCost cost = decode_cost(model, kCpu, settings(tp, batch, context));
  const std::unique_ptr<WeightSource> source = open_checkpoint(path);
  const ShardPlan plan = ShardPlan::make(source->config().shape(), tp, ShardStrategy::group);
  ASSERT_EQ(cost.ranks.size(), static_cast<std::size_t>(tp));
  const auto backend = kernels::make_backend(kernels::BackendKind::cpu, {});
  for (int r = 0; r < tp; ++r) {
    const RankCost& rc = cost.ranks[r];
    EXPECT_EQ(rc.weight_bytes, LlamaWeights::load(*source, plan, r, *backend).bytes()) << "rank " << r;
    const ModelConfig& c = source->config();
    const int kv_local = plan.rank(r).kv_heads.size();
    EXPECT_EQ(rc.kv_bytes_per_token * 16, backend->make_kv_cache({c.n_layers, 1, 16, kv_local, c.head_dim})->bytes())
        << "rank " << r;
    EXPECT_EQ(rc.kv_cache_bytes,
              backend->make_kv_cache({c.n_layers, batch * context / 16, 16, kv_local, c.head_dim})->bytes())
        << "rank " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(TinyModels, AgainstEngine,
                         ::testing::Combine(::testing::Values("random-h8g2/model.bin",     // untied, GQA-2
                                                              "stories260K/stories260K.bin",  // tied, GQA-4
                                                              "tinystories-mha-1m/model.bin"),  // MHA
                                            ::testing::Values(1, 2, 4)),
                         [](const auto& info) {
                           std::string name = std::get<0>(info.param);
                           name = name.substr(0, name.find('/'));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name + "_tp" + std::to_string(std::get<1>(info.param));
                         });

TEST(Replication, TpEightOverTwoGroupsCopiesEachKvHeadFourTimes) {
  // random-h8g2: H = 8, G = 2, head_dim 8, dim 64, 3 layers. At tp = 8 each group's
  // 4 query heads go to 4 ranks, each holding the group's K/V head: factor 4, and
  // 3 copies of each of the 2 heads are waste.
  const PlannerModel model = load_planner_model(kShared + "/models/random-h8g2/model.bin");
  const DecodeCost cost = decode_cost(model, kCpu, settings(8, 2, 100));
  EXPECT_EQ(cost.max_kv_replication, 4);
  for (const RankCost& rc : cost.ranks) EXPECT_EQ(rc.kv_replication, 4);
  const std::int64_t head_weights = 2 * 8 * 64 * 3 * 4;    // wk + wv rows of one head, 3 layers, f32
  const std::int64_t head_cache = 2 * 8 * 3 * 4 * 2 * 100;  // K + V, 3 layers, f32, batch 2 x 100 positions
  EXPECT_EQ(cost.wasted_weight_bytes, 3 * 2 * head_weights);
  EXPECT_EQ(cost.wasted_kv_cache_bytes, 3 * 2 * head_cache);

  // Whole groups per rank: nothing replicated.
  const DecodeCost even = decode_cost(model, kCpu, settings(2, 2, 100));
  EXPECT_EQ(even.max_kv_replication, 1);
  EXPECT_EQ(even.wasted_weight_bytes + even.wasted_kv_cache_bytes, 0);

  // The MQA-style baseline keeps every KV head on every rank: tp - 1 extra copies.
  DecodeSettings replicate = settings(4, 2, 100);
  replicate.strategy = ShardStrategy::replicate;
  const DecodeCost baseline = decode_cost(model, kCpu, replicate);
  EXPECT_EQ(baseline.max_kv_replication, 4);
  EXPECT_EQ(baseline.wasted_weight_bytes, 3 * 2 * head_weights);
}

TEST(T5, XxlHoldsItsPublishedParameterCount) {
  // T5.1.1 XXL: 24 encoder layers (attention 4 d^2, gated FFN 3 d d_ff, 2 norms),
  // 24 decoder layers (self- and cross-attention, FFN, 3 norms), shared embedding,
  // untied LM head, 2 final norms, a 32 x 64 relative-bias table per stack:
  // 11,135,332,352 parameters.
  const PlannerModel model = load_planner_model("t5-xxl");
  const DecodeCost cost = decode_cost(model, kCpu, settings(1));
  EXPECT_EQ(cost.ranks[0].weight_bytes, 4 * 11135332352LL);
  EXPECT_EQ(cost.all_reduces, 3 * 24);
  // A decoder position: K and V of 64 heads x 64 in 24 layers; self (512) plus cross (512).
  EXPECT_EQ(cost.ranks[0].kv_bytes_per_token, 2 * 64 * 64 * 24 * 4);
  EXPECT_EQ(cost.ranks[0].kv_cache_bytes, 1024 * cost.ranks[0].kv_bytes_per_token);
}

TEST(T5, GroupsShrinkTheDecoderCacheButNotTheEncoder) {
  const PlannerModel mha = load_planner_model("t5-xxl");
  const DecodeCost full = decode_cost(mha, kCpu, settings(8));
  const DecodeCost gqa8 = decode_cost(with_kv_groups(mha, 8), kCpu, settings(8));
  EXPECT_EQ(full.ranks[0].kv_bytes_per_token, 8 * gqa8.ranks[0].kv_bytes_per_token);
  // GQA-8 drops 56 of 64 K/V heads (64 x 4096 rows each) from the k and v projections
  // of decoder self- and cross-attention, 24 layers, f32; the encoder keeps all 64.
  const std::int64_t dropped = 4LL * 56 * 64 * 4096 * 24 * 4;
  std::int64_t full_total = 0, gqa_total = 0;
  for (int r = 0; r < 8; ++r) {
    full_total += full.ranks[r].weight_bytes;
    gqa_total += gqa8.ranks[r].weight_bytes;
  }
  EXPECT_EQ(full_total - gqa_total, dropped);
}

TEST(TimeModel, RooflineAndRingAllReduceByHand) {
  // random-h8g2 at tp = 2 on cpu, 10 GB/s: link 5 GB/s, 5 us per collective.
  const PlannerModel model = load_planner_model(kShared + "/models/random-h8g2/model.bin");
  DecodeSettings s = settings(2, 1, 64);
  s.tflops = 0.5;
  const DecodeCost c = decode_cost(model, kCpu, s);
  const double all_reduce = 2.0 * 1 / 2 * (64 * 4) / 5e9 + 5e-6;  // 1 x dim f32 activations
  const double gather = 1.0 / 2 * (512 * 4) / 5e9 + 5e-6;        // 512 f32 logits
  EXPECT_EQ(c.all_reduces, 6);
  EXPECT_DOUBLE_EQ(c.comm_s, 6 * all_reduce + gather);
  for (const RankCost& rc : c.ranks) {
    EXPECT_DOUBLE_EQ(rc.memory_s, rc.step_bytes / 10e9);
    EXPECT_DOUBLE_EQ(rc.compute_s, rc.step_flops / 0.5e12);
  }
  const double slowest = std::max({c.ranks[0].memory_s, c.ranks[0].compute_s, c.ranks[1].memory_s,
                                   c.ranks[1].compute_s});
  EXPECT_DOUBLE_EQ(c.step_s, slowest + c.comm_s);
  EXPECT_DOUBLE_EQ(c.tokens_per_s, 1 / c.step_s);
  EXPECT_FALSE(c.over_network);

  // tp = 1: no collectives at all.
  EXPECT_EQ(decode_cost(model, kCpu, settings(1)).comm_s, 0.0);
}

TEST(Memory, KvCacheRoomIsWhatTheDeviceHoldsBesideTheWeights) {
  // Llama-3-8B in bf16 on one 80 GB H100: 8,030,261,248 parameters x 2 bytes;
  // a position is K and V of 8 heads x 128 in 32 layers x 2 bytes = 131,072 bytes;
  // (80e9 - 16,060,522,496) / 131,072 = 487,819.6 -> 487,808 in blocks of 16.
  DecodeSettings s = settings(1);
  s.precision = Precision::bf16;
  const DecodeCost c = decode_cost(load_planner_model("llama-3-8b"), hardware_profile("h100-sxm", std::nullopt), s);
  EXPECT_EQ(c.ranks[0].weight_bytes, 2 * 8030261248LL);
  EXPECT_EQ(c.ranks[0].kv_bytes_per_token, 131072);
  EXPECT_EQ(c.ranks[0].kv_tokens_fit, 487808);
  // A profile without a capacity says so rather than guessing.
  EXPECT_EQ(decode_cost(load_planner_model("llama-3-8b"), kCpu, s).ranks[0].kv_tokens_fit, -1);
}

TEST(TimeModel, RanksBeyondOneHostUseTheNetwork) {
  const HardwareProfile h100 = hardware_profile("h100-sxm", std::nullopt);
  const PlannerModel model = load_planner_model("llama-3-70b");
  DecodeSettings s = settings(16);
  s.precision = Precision::bf16;
  const DecodeCost two_hosts = decode_cost(model, h100, s);
  EXPECT_EQ(two_hosts.hosts, 2);
  EXPECT_EQ(two_hosts.ranks_per_host, 8);
  EXPECT_TRUE(two_hosts.over_network);
  EXPECT_DOUBLE_EQ(two_hosts.link_gbps, 50.0);
  s.tp = 8;
  const DecodeCost one_host = decode_cost(model, h100, s);
  EXPECT_FALSE(one_host.over_network);
  EXPECT_DOUBLE_EQ(one_host.link_gbps, 450.0);
  s.tp = 16;
  s.hosts = 1;
  EXPECT_THROW(decode_cost(model, h100, s), Error);  // 16 ranks on one 8-GPU host
  s.hosts = 3;
  EXPECT_THROW(decode_cost(model, h100, s), Error);  // 3 does not divide 16
}

TEST(Presets, PublishedConfigValues) {
  const PlannerModel llama3 = load_planner_model("llama-3-8b");
  EXPECT_EQ(llama3.shape.dim, 4096);
  EXPECT_EQ(llama3.shape.ffn_dim, 14336);
  EXPECT_EQ(llama3.shape.n_kv_heads, 8);
  EXPECT_EQ(llama3.shape.vocab_size, 128256);
  EXPECT_EQ(load_planner_model("llama-2-70b").shape.n_layers, 80);
  EXPECT_EQ(load_planner_model("mistral-7b").max_seq_len, 4096);  // the sliding window
  const PlannerModel t5 = load_planner_model("t5-xxl");
  EXPECT_EQ(t5.family, ModelFamily::encoder_decoder);
  EXPECT_EQ(t5.shape.n_heads, 64);
  EXPECT_EQ(t5.shape.n_kv_heads, 64);
  EXPECT_EQ(t5.encoder_layers, 24);
  EXPECT_TRUE(t5.gated_ffn);
  EXPECT_FALSE(t5.shape.tied_embeddings);
}

TEST(Sweep, GroupCountsArePowersOfTwoThenH) {
  EXPECT_EQ(sweep_kv_groups(64), (std::vector<int>{1, 2, 4, 8, 16, 32, 64}));
  EXPECT_EQ(sweep_kv_groups(28), (std::vector<int>{1, 2, 4, 28}));
  EXPECT_EQ(sweep_kv_groups(12), (std::vector<int>{1, 2, 4, 12}));
  EXPECT_EQ(sweep_kv_groups(1), (std::vector<int>{1}));
}

TEST(Sweep, GroupsWithoutALayoutAreReportedNotFatal) {
  // H = 12 at tp = 6: G = 1 and 2 split each group's heads over 6 or 3 ranks, G = 12
  // deals two groups per rank, but G = 4 neither divides nor is a multiple of 6.
  PlannerModel model = load_planner_model("llama-3-8b");
  model.shape.n_heads = 12;
  const std::vector<SweepEntry> entries = sweep_decode_cost(model, kCpu, settings(6));
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_TRUE(entries[0].cost && entries[1].cost && entries[3].cost);
  EXPECT_FALSE(entries[2].cost);
  EXPECT_NE(entries[2].error.find("Valid tp values"), std::string::npos);
}

TEST(Errors, ClearMessages) {
  auto message = [](auto&& call) {
    try {
      call();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([] { load_planner_model("gpt-5"); }).find("not a preset (llama-2-70b"), std::string::npos);
  EXPECT_NE(message([] { hardware_profile("tpu-v4", std::nullopt); }).find("unknown hardware profile 'tpu-v4'"),
            std::string::npos);
  EXPECT_NE(message([] { hardware_profile("cpu", std::nullopt); }).find("--bandwidth"), std::string::npos);
  EXPECT_NE(message([] { with_kv_groups(load_planner_model("t5-xxl"), 3); }).find("does not divide"),
            std::string::npos);
  EXPECT_NE(message([] { precision_from_name("int4"); }).find("unknown dtype 'int4'"), std::string::npos);
  const PlannerModel h8g2 = load_planner_model(kShared + "/models/random-h8g2/model.bin");
  EXPECT_NE(message([&] { decode_cost(h8g2, kCpu, settings(3)); }).find("Valid tp values for this model: 1, 2, 4, 6, 8"),
            std::string::npos);
  EXPECT_NE(message([&] { decode_cost(h8g2, kCpu, settings(16)); }).find("exceeds the model's 8 query heads"),
            std::string::npos);
}

}  // namespace
}  // namespace gs::planner
