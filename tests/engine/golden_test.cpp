// End-to-end truth from an independent implementation (llama2.c's run.c logic in
// float64): greedy ids and the first step's top-8 log-probabilities of the shared
// test models, for tp = the job's size and both sharding strategies.
#include <cmath>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <mpi.h>
#include <nlohmann/json.hpp>

#include "engine_harness.h"
#include "common/check.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

// float32 engine vs float64 reference: logits agree to ~1e-5; log-probs to 2e-4.
constexpr double kLogProbTolerance = 2e-4;

struct GoldenModel {
  const char* checkpoint;
  const char* golden;
};

class Golden : public ::testing::TestWithParam<std::tuple<GoldenModel, ShardStrategy>> {};

TEST_P(Golden, GreedyIdsAndFirstStepLogProbsMatch) {
  const auto [model, strategy] = GetParam();
  MpiChannels world(MPI_COMM_WORLD);
  const std::unique_ptr<WeightSource> source = open_checkpoint(std::string(GS_SHARED_DIR) + "/" + model.checkpoint);
  try {
    ShardPlan::make(source->config().shape(), world.size(), strategy);
  } catch (const Error& e) {
    GTEST_SKIP() << "tp = " << world.size() << " is not a valid layout here: " << e.what();
  }
  std::ifstream file(std::string(GS_SHARED_DIR) + "/" + model.golden);
  const nlohmann::json golden = nlohmann::json::parse(file);

  for (const nlohmann::json& c : golden["cases"]) {
    const std::vector<int> prompt = c["prompt_ids"];
    const std::vector<int> expected = c["greedy_ids"];
    RunSettings settings;
    settings.strategy = strategy;
    const GreedyTrace trace = run_greedy(*source, world, prompt, static_cast<int>(expected.size()), settings);
    if (world.rank() != 0) continue;

    EXPECT_EQ(trace.tokens, expected) << "prompt '" << c["prompt"].get<std::string>() << "'";
    const std::vector<float>& logits = trace.logits.front();
    double top = -INFINITY, total = 0.0;
    for (float l : logits) top = std::max<double>(top, l);
    for (float l : logits) total += std::exp(l - top);
    for (const nlohmann::json& pair : c["first_step_logprobs_top8"]) {
      const int id = pair[0];
      const double logprob = logits[id] - top - std::log(total);
      EXPECT_NEAR(logprob, pair[1].get<double>(), kLogProbTolerance) << "token " << id;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    SharedModels, Golden,
    ::testing::Combine(::testing::Values(GoldenModel{"models/random-h8g2/model.bin", "models/random-h8g2/golden.json"},
                                         GoldenModel{"models/stories260K/stories260K.bin", "models/stories260K/golden.json"},
                                         GoldenModel{"models/tinystories-mha-1m/model.bin", "models/tinystories-mha-1m/golden.json"}),
                       ::testing::Values(ShardStrategy::group, ShardStrategy::replicate)),
    [](const auto& info) {
      std::string name = std::get<0>(info.param).checkpoint;
      name = name.substr(7, name.find('/', 7) - 7);
      for (char& ch : name) if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name + "_" + strategy_name(std::get<1>(info.param));
    });

}  // namespace
}  // namespace gs::testing
