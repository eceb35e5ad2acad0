// evaluate_perplexity under mpirun: exact on a model whose logits are all zero,
// golden against an independent implementation, and the same for tp = N as for
// tp = 1 (every rank recomputes tp = 1 alone on MPI_COMM_SELF).
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <mpi.h>

#include "engine/checkpoint/dense_weights.h"
#include "engine/llama_model.h"
#include "engine/perplexity.h"
#include "engine/tokenizer/tokenizer.h"
#include "parallel/mpi_channels.h"

namespace gs {
namespace {

const std::string kShared = GS_SHARED_DIR;

// Collective: every rank calls it; rank 0 gets the result.
PerplexityResult perplexity_on(const WeightSource& source, MpiChannels& comm, const std::vector<int>& tokens,
                               int context, int max_step_tokens) {
  const ModelConfig& config = source.config();
  const ShardPlan plan = ShardPlan::make(config.shape(), comm.size(), ShardStrategy::group);
  ModelLimits limits;
  limits.capacity = context;
  limits.max_step_tokens = max_step_tokens;
  const std::unique_ptr<LlamaModel> model =
      LlamaModel::load(source, plan, comm.tensors, limits, kernels::BackendKind::cpu);
  StepExecutor executor(*model, comm);
  if (comm.rank() != 0) {
    executor.serve();
    return {};
  }
  const PerplexityResult result = evaluate_perplexity(executor, tokens, config.bos_id, context);
  executor.stop();
  return result;
}

std::vector<int> text_tokens(const std::string& tokenizer, const std::string& file, std::size_t count) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<int> tokens = open_tokenizer(tokenizer)->encode(text.str(), false);
  tokens.resize(std::min(tokens.size(), count));
  return tokens;
}

TEST(Perplexity, ZeroFinalNormGivesExactlyLnVocab) {
  // rmsnorm(x) * 0 = 0, so every logit is 0 and every token costs ln(vocab).
  ModelConfig config;
  config.dim = 32;
  config.ffn_dim = 40;
  config.n_layers = 2;
  config.n_heads = 8;
  config.n_kv_heads = 2;
  config.head_dim = 4;
  config.vocab_size = 96;
  config.max_seq_len = 32;
  auto weights = std::make_shared<DenseWeights>(random_dense_weights(config, 7));
  std::fill(weights->at(WeightKind::final_norm).begin(), weights->at(WeightKind::final_norm).end(), 0.0f);
  const std::unique_ptr<WeightSource> source = make_in_memory_source(weights);
  std::vector<int> tokens;
  for (int i = 0; i < 50; ++i) tokens.push_back((i * 37 + 5) % config.vocab_size);

  MpiChannels world(MPI_COMM_WORLD);
  const PerplexityResult r = perplexity_on(*source, world, tokens, 16, 5);
  if (world.rank() != 0) return;
  EXPECT_EQ(r.tokens, 50);
  EXPECT_EQ(r.windows, 4);  // 16 + 16 + 16 + 2
  EXPECT_NEAR(r.nll, std::log(96.0), 1e-12);
  EXPECT_NEAR(r.perplexity, 96.0, 1e-9);
}

TEST(Perplexity, Stories260KMatchesGoldenLogProb) {
  // golden.json: after BOS "Once upon a time" (403 407 261 378) the next token 432
  // has log-prob -0.03170285031359314 (float64 reference of run.c).
  MpiChannels world(MPI_COMM_WORLD);
  const std::unique_ptr<WeightSource> source = open_checkpoint(kShared + "/models/stories260K/stories260K.bin");
  const std::vector<int> prompt = {403, 407, 261, 378};
  std::vector<int> longer = prompt;
  longer.push_back(432);
  const PerplexityResult four = perplexity_on(*source, world, prompt, 8, 3);
  const PerplexityResult five = perplexity_on(*source, world, longer, 8, 3);
  if (world.rank() != 0) return;
  EXPECT_NEAR(five.nll * 5 - four.nll * 4, 0.03170285031359314, 1e-5);
}

TEST(Perplexity, Stories260KSameForEveryTp) {
  MpiChannels world(MPI_COMM_WORLD), self(MPI_COMM_SELF);
  const std::unique_ptr<WeightSource> source = open_checkpoint(kShared + "/models/stories260K/stories260K.bin");
  const std::vector<int> tokens = text_tokens(kShared + "/models/stories260K/tok512.bin",
                                              kShared + "/data/tinystories-valid-30k.txt", 1000);
  ASSERT_EQ(tokens.size(), 1000u);
  // The sharded run prefills in chunks, tp = 1 in whole windows.
  const PerplexityResult sharded = perplexity_on(*source, world, tokens, 128, 48);
  const PerplexityResult single = perplexity_on(*source, self, tokens, 128, 128);
  if (world.rank() != 0) return;
  EXPECT_EQ(sharded.tokens, 1000);
  EXPECT_EQ(sharded.windows, 8);
  // Float32 logits differ by ~1e-6 between tp values; the mean NLL by far less.
  EXPECT_NEAR(sharded.nll, single.nll, 1e-5);
  EXPECT_GT(single.nll, 0.5);  // a real model on real text: far from both 0 and ln 512
  EXPECT_LT(single.nll, 3.0);
  std::printf("stories260K, first 1000 tokens, windows of 128: tp %d NLL %.9f, tp 1 NLL %.9f\n",
              world.size(), sharded.nll, single.nll);
}

}  // namespace
}  // namespace gs
