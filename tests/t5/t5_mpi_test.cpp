// T5 end to end against Hugging Face transformers (tests/t5/make_t5_goldens.py):
// teacher-forced decoder logits within 1e-4 and 12 greedy ids equal, at tp = the
// job's size, for T5 v1.0 (ReLU, tied), T5.1.1 with GQA-2 and T5.1.1 with GQA-4
// stored in bf16, on the fast CPU and the reference backends.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>
#include <mpi.h>
#include <nlohmann/json.hpp>

#include "engine/generator.h"
#include "engine/step_executor.h"
#include "engine/t5/t5_conversion.h"
#include "engine/t5/t5_model.h"
#include "engine/planner/decode_cost.h"
#include "engine/planner/hardware_profiles.h"
#include "engine/planner/model_presets.h"
#include "common/check.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

constexpr double kLogitTolerance = 1e-4;

std::string data_dir(const std::string& model) { return std::string(GS_T5_DATA_DIR) + "/" + model; }

nlohmann::json read_golden(const std::string& model) {
  std::ifstream file(data_dir(model) + "/golden.json");
  return nlohmann::json::parse(file);
}

class T5Golden : public ::testing::TestWithParam<std::tuple<std::string, kernels::BackendKind>> {};

TEST_P(T5Golden, LogitsAndGreedyIdsMatchHuggingFace) {
  const auto [name, backend] = GetParam();
  MpiChannels world(MPI_COMM_WORLD);
  const T5Checkpoint checkpoint(data_dir(name));
  try {
    t5_decoder_plan(checkpoint.config(), world.size(), ShardStrategy::group);
    t5_encoder_plan(checkpoint.config(), world.size(), ShardStrategy::group);
  } catch (const Error& e) {
    GTEST_SKIP() << "tp = " << world.size() << " is not a valid layout here: " << e.what();
  }
  const nlohmann::json golden = read_golden(name);
  const ModelLimits limits{2, 96, 16};
  std::unique_ptr<T5Model> model = T5Model::load(checkpoint, world.tensors, limits, backend);
  if (world.rank() == 0 && !model->encoder_plan().notes().empty())
    std::fprintf(stderr, "# %s tp %d encoder: %s\n", name.c_str(), world.size(), model->encoder_plan().notes()[0].c_str());

  // Teacher-forced: every rank encodes and runs the same decoder step (prefill of
  // all decoder ids in one step).
  for (const nlohmann::json& c : golden["cases"]) {
    const std::vector<int> input = c["input_ids"], decoder = c["decoder_ids"];
    model->encode(1, input);
    StepBatch batch;
    for (int p = 0; p < static_cast<int>(decoder.size()); ++p) batch.add(decoder[p], p, 1, true);
    const std::span<const float> logits = model->forward(batch);
    if (world.rank() != 0) continue;
    const int vocab = model->config().vocab_size;
    ASSERT_EQ(logits.size(), decoder.size() * vocab);
    double worst = 0;
    for (std::size_t p = 0; p < decoder.size(); ++p)
      for (int v = 0; v < vocab; ++v)
        worst = std::max(worst, std::abs(logits[p * vocab + v] - c["logits"][p][v].get<double>()));
    EXPECT_LT(worst, kLogitTolerance) << name << " '" << c["text"].get<std::string>() << "'";
    std::fprintf(stderr, "# %s tp %d: %zu x %d logits, largest difference from HF %.3g\n", name.c_str(), world.size(),
                 decoder.size(), vocab, worst);
  }

  // Greedy through the executor and generator, both cases batched in two slots.
  StepExecutor executor(*model, world);
  if (world.rank() != 0) {
    executor.serve();
    return;
  }
  std::vector<std::vector<int>> prompts;
  for (const nlohmann::json& c : golden["cases"]) prompts.push_back(c["input_ids"]);
  Generator generator(executor, {});
  GenerationOptions options;
  options.max_tokens = 12;
  options.ignore_eos = true;
  const std::vector<Completion> out = generator.generate(prompts, options);
  executor.stop();
  for (std::size_t i = 0; i < prompts.size(); ++i)
    EXPECT_EQ(out[i].tokens, golden["cases"][i]["greedy_ids"].get<std::vector<int>>()) << name << " case " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Models, T5Golden,
    ::testing::Combine(::testing::Values("t5-v1_0-mha", "t5-v1_1-gqa2", "t5-v1_1-gqa4-bf16"),
                       ::testing::Values(kernels::BackendKind::cpu, kernels::BackendKind::reference)),
    [](const auto& info) {
      std::string n = std::get<0>(info.param) + (std::get<1>(info.param) == kernels::BackendKind::cpu ? "_cpu" : "_ref");
      for (char& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST(T5Mpi, EncoderInputLongerThanAllowedFailsOnEveryRank) {
  MpiChannels world(MPI_COMM_WORLD);
  const T5Checkpoint checkpoint(data_dir("t5-v1_0-mha"));
  std::unique_ptr<T5Model> model = T5Model::load(checkpoint, world.tensors, {1, 8, 8}, kernels::BackendKind::cpu);
  const std::vector<int> long_input(9, 5);
  try {
    model->encode(0, long_input);
    ADD_FAILURE() << "a 9-token input fit an 8-position encoder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("encoder input has 9 tokens"), std::string::npos) << e.what();
  }
  StepBatch batch;
  batch.add(0, 0, 0, true);
  EXPECT_THROW(model->forward(batch), Error) << "a decoder step before any encode";
}

// Each rank converts into its own folder (no shared filesystem assumed).
std::filesystem::path converted_dir(const std::string& label, int rank) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("gs_t5_convert_" + label + "_" + std::to_string(::getpid()) + "_" +
                                                std::to_string(rank));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<float> tensor_values(const TensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.rows() * t.cols()));
  for (std::int64_t r = 0; r < t.rows(); ++r) read_row_f32(t, r, 0, t.cols(), out.data() + r * t.cols());
  return out;
}

TEST(T5Convert, ExpandingGqa2ToMhaReproducesTheGoldenLogits) {
  MpiChannels world(MPI_COMM_WORLD);
  const std::filesystem::path dir = converted_dir("expand", world.rank());
  convert_t5_checkpoint(data_dir("t5-v1_1-gqa2"), {8, KvInit::mean, 0, DType::f32}, dir);
  const T5Checkpoint converted(dir);
  ASSERT_EQ(converted.config().n_kv_heads, 8);
  std::unique_ptr<T5Model> model = T5Model::load(converted, world.tensors, {1, 96, 16}, kernels::BackendKind::cpu);
  const nlohmann::json golden = read_golden("t5-v1_1-gqa2");
  for (const nlohmann::json& c : golden["cases"]) {
    model->encode(0, c["input_ids"].get<std::vector<int>>());
    const std::vector<int> decoder = c["decoder_ids"];
    StepBatch batch;
    for (int p = 0; p < static_cast<int>(decoder.size()); ++p) batch.add(decoder[p], p, 0, true);
    const std::span<const float> logits = model->forward(batch);
    if (world.rank() != 0) continue;
    double worst = 0;
    for (std::size_t p = 0; p < decoder.size(); ++p)
      for (int v = 0; v < 128; ++v) worst = std::max(worst, std::abs(logits[p * 128 + v] - c["logits"][p][v].get<double>()));
    EXPECT_LT(worst, kLogitTolerance);
  }
  model.reset();
  std::filesystem::remove_all(dir);
}

TEST(T5Convert, MeanPoolingIsTheMeanOfEachGroupsHeadsAndLeavesTheEncoder) {
  MpiChannels world(MPI_COMM_WORLD);
  const std::filesystem::path dir = converted_dir("pool", world.rank());
  convert_t5_checkpoint(data_dir("t5-v1_0-mha"), {2, KvInit::mean, 0, DType::f32}, dir);
  const T5Checkpoint original(data_dir("t5-v1_0-mha")), pooled(dir);
  const int d = original.config().d_kv, cols = original.config().d_model;  // 4 heads of 8 -> 2 groups
  for (bool cross : {false, true})
    for (const char* proj : {"k", "v"}) {
      const std::string name = T5Checkpoint::attention_name("decoder", 1, cross, proj);
      const std::vector<float> from = tensor_values(original.tensor(name)), to = tensor_values(pooled.tensor(name));
      ASSERT_EQ(to.size(), from.size() / 2) << name;
      for (int g = 0; g < 2; ++g)
        for (int i = 0; i < d; ++i)
          for (int c = 0; c < cols; ++c) {
            const double mean = (double(from[((2 * g) * d + i) * cols + c]) + from[((2 * g + 1) * d + i) * cols + c]) / 2;
            EXPECT_NEAR(to[(g * d + i) * cols + c], mean, 1e-7) << name;
          }
    }
  const std::string encoder_k = T5Checkpoint::attention_name("encoder", 0, false, "k");
  EXPECT_EQ(tensor_values(original.tensor(encoder_k)), tensor_values(pooled.tensor(encoder_k)));
  EXPECT_TRUE(std::filesystem::exists(dir / "spiece.model"));
  std::filesystem::remove_all(dir);
}

// `plan` costs a T5 model from the same ShardPlans: its per-rank weight and KV-cache
// bytes (f32) are what the engine allocates.
TEST(T5Plan, PlannerCountsWhatTheEngineAllocates) {
  MpiChannels world(MPI_COMM_WORLD);
  for (const char* name : {"t5-v1_0-mha", "t5-v1_1-gqa2", "t5-v1_1-gqa4-bf16"}) {
    const T5Checkpoint checkpoint(data_dir(name));
    try {
      t5_decoder_plan(checkpoint.config(), world.size(), ShardStrategy::group);
    } catch (const Error&) {
      continue;
    }
    planner::DecodeSettings settings;
    settings.tp = world.size();
    settings.batch = 2;
    settings.context = 96;
    settings.encoder_context = 96;
    settings.precision = planner::Precision::f32;
    const planner::DecodeCost cost =
        planner::decode_cost(planner::load_planner_model(data_dir(name)), planner::hardware_profile("cpu", 50.0), settings);
    std::unique_ptr<T5Model> model = T5Model::load(checkpoint, world.tensors, {2, 96, 16}, kernels::BackendKind::cpu);
    const planner::RankCost& mine = cost.ranks.at(world.rank());
    EXPECT_EQ(mine.weight_bytes, model->weight_bytes()) << name << " rank " << world.rank();
    EXPECT_EQ(mine.kv_cache_bytes, model->decoder_kv_cache_bytes()) << name << " rank " << world.rank();
  }
}

}  // namespace
}  // namespace gs::testing
