// Converted checkpoints run by the engine under mpirun (CTest runs this at
// -np 1, 2, 4): every tp gives tp = 1's tokens and logits and the naive forward
// of the hand-converted weights; an expanded model gives the original's logits;
// 16-bit outputs load and stay close to f32.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>

#include "../engine/engine_harness.h"
#include "../engine/naive_llama.h"
#include "engine/convert/checkpoint_conversion.h"
#include "expected_conversion.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

// As in tests/engine: float32 sums in another order move O(1) logits by ~1e-6.
constexpr double kTpTolerance = 1e-4;
constexpr double kNaiveTolerance = 2e-4;
// An expanded model holds copies of the same K/V heads: the same arithmetic.
constexpr double kExpandedTolerance = 1e-5;
// 16-bit weights against f32, logits of O(1-5) (see tests/engine/format_test.cpp).
constexpr double kF16Tolerance = 0.02;
constexpr double kBf16Tolerance = 0.1;

const std::vector<int> kPrompt = {1, 12, 40, 77, 3, 58};
constexpr int kSteps = 8;

// A scratch folder every rank sees, made by rank 0.
class SharedDir {
 public:
  explicit SharedDir(ControlChannel& comm) : comm_(comm) {
    path_ = std::filesystem::temp_directory_path() /
            ("groupshard_convert_test_np" + std::to_string(comm.size()));
    if (comm.rank() == 0) {
      std::filesystem::remove_all(path_);
      std::filesystem::create_directories(path_);
    }
    comm.barrier();
  }
  ~SharedDir() {
    comm_.barrier();
    std::error_code ignored;
    if (comm_.rank() == 0) std::filesystem::remove_all(path_, ignored);
  }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  ControlChannel& comm_;
  std::filesystem::path path_;
};

// Runs `work` on rank 0 (writing files) and gives every rank its error, if any,
// so that no rank goes on to wait for files that will never come.
template <typename Work>
std::optional<std::string> on_rank0(ControlChannel& comm, Work&& work) {
  std::optional<std::string> error;
  if (comm.rank() == 0) {
    try {
      work();
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  return comm.agree_on_failure(error);
}

TEST(ConvertedModels, SameTokensAndLogitsAtEveryTpAsTheNaiveForward) {
  MpiChannels world(MPI_COMM_WORLD), self(MPI_COMM_SELF);
  SharedDir dir(world);
  const DenseWeights mha = random_dense_weights(tiny_config(8, 8), 31);
  struct Case {
    std::string name;
    int groups;
    KvInit init;
  };
  const std::vector<Case> cases = {
      {"g4_mean", 4, KvInit::mean}, {"g2_mean", 2, KvInit::mean}, {"g1_mean", 1, KvInit::mean},
      {"g2_first", 2, KvInit::first}};
  const std::optional<std::string> error = on_rank0(world, [&] {
    write_llama2c_checkpoint(mha, dir / "mha.bin");
    for (const Case& c : cases)
      convert_checkpoint(*open_checkpoint(dir / "mha.bin"), {c.groups, c.init}, dir / c.name);
  });
  ASSERT_FALSE(error) << *error;

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::unique_ptr<WeightSource> source = open_checkpoint(dir / c.name);
    ASSERT_EQ(source->config().n_kv_heads, c.groups);
    const GreedyTrace sharded = run_greedy(*source, world, kPrompt, kSteps);
    const GreedyTrace single = run_greedy(*source, self, kPrompt, kSteps);
    if (world.rank() != 0) continue;
    EXPECT_EQ(sharded.tokens, single.tokens);
    for (int s = 0; s < kSteps; ++s)
      EXPECT_LE(max_abs_diff(sharded.logits[s], single.logits[s]), kTpTolerance) << "step " << s;
    const std::vector<double> naive = naive_next_logits(expected_conversion(mha, c.groups, c.init), kPrompt);
    const std::vector<float> naive_f(naive.begin(), naive.end());
    EXPECT_LE(max_abs_diff(sharded.logits[0], naive_f), kNaiveTolerance);
  }
}

TEST(ConvertedModels, ExpandedToMhaGivesTheOriginalLogits) {
  MpiChannels world(MPI_COMM_WORLD);
  SharedDir dir(world);
  const DenseWeights gqa = random_dense_weights(tiny_config(8, 2), 32);
  const std::optional<std::string> error = on_rank0(world, [&] {
    write_llama2c_checkpoint(gqa, dir / "gqa.bin");
    convert_checkpoint(*open_checkpoint(dir / "gqa.bin"), {8, KvInit::mean}, dir / "mha");
  });
  ASSERT_FALSE(error) << *error;

  const GreedyTrace original = run_greedy(*open_checkpoint(dir / "gqa.bin"), world, kPrompt, kSteps);
  const GreedyTrace expanded = run_greedy(*open_checkpoint(dir / "mha"), world, kPrompt, kSteps);
  if (world.rank() != 0) return;
  EXPECT_EQ(expanded.tokens, original.tokens);
  for (int s = 0; s < kSteps; ++s)
    EXPECT_LE(max_abs_diff(expanded.logits[s], original.logits[s]), kExpandedTolerance) << "step " << s;
}

TEST(ConvertedModels, HalfPrecisionOutputsLoadAndStayClose) {
  MpiChannels world(MPI_COMM_WORLD);
  SharedDir dir(world);
  const DenseWeights mha = random_dense_weights(tiny_config(8, 8), 33);
  const std::optional<std::string> error = on_rank0(world, [&] {
    write_llama2c_checkpoint(mha, dir / "mha.bin");
    const std::unique_ptr<WeightSource> source = open_checkpoint(dir / "mha.bin");
    convert_checkpoint(*source, {2, KvInit::mean, 0, DType::f32}, dir / "f32");
    convert_checkpoint(*source, {2, KvInit::mean, 0, DType::f16}, dir / "f16");
    convert_checkpoint(*source, {2, KvInit::mean, 0, DType::bf16}, dir / "bf16");
  });
  ASSERT_FALSE(error) << *error;

  const GreedyTrace f32 = run_greedy(*open_checkpoint(dir / "f32"), world, kPrompt, kSteps);
  const GreedyTrace f16 = run_greedy(*open_checkpoint(dir / "f16"), world, kPrompt, kSteps);
  const GreedyTrace bf16 = run_greedy(*open_checkpoint(dir / "bf16"), world, kPrompt, kSteps);
  if (world.rank() != 0) return;
  // Teacher-forced comparison on the first step (later steps may pick other tokens).
  EXPECT_LE(max_abs_diff(f32.logits[0], f16.logits[0]), kF16Tolerance);
  EXPECT_LE(max_abs_diff(f32.logits[0], bf16.logits[0]), kBf16Tolerance);
  EXPECT_GT(max_abs_diff(f32.logits[0], bf16.logits[0]), 0.0) << "bf16 output was not rounded";
}

}  // namespace
}  // namespace gs::testing
