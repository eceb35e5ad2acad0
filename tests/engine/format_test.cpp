// The same weights written as llama2.c .bin and as Hugging Face safetensors (whose
// rotary rows are permuted to the half-split layout) give the same logits; f16 and
// bf16 files load and agree with f32.
#include <filesystem>

#include <gtest/gtest.h>
#include <mpi.h>

#include "common/dtype.h"
#include "engine_harness.h"
#include "parallel/mpi_channels.h"

namespace gs::testing {
namespace {

// Identical f32 weights and identical arithmetic: the formats must agree bit for bit
// up to float noise from nothing at all; allow 1e-6.
constexpr double kSameWeights = 1e-6;
// 16-bit files against the f32 original, logits of O(1-5): f16 keeps 11 bits of
// mantissa (error ~5e-4 relative per weight), bf16 8 bits (~4e-3).
constexpr double kF16Tolerance = 0.02;
constexpr double kBf16Tolerance = 0.1;

std::filesystem::path shared_temp_dir(ControlChannel& comm) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("groupshard_format_test_np" + std::to_string(comm.size()));
  if (comm.rank() == 0) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  comm.barrier();
  return dir;
}

DenseWeights rounded(const DenseWeights& w, DType dtype) {
  DenseWeights out = w;
  std::vector<std::byte> bytes;
  for (auto& [key, values] : out.tensors) {
    bytes.resize(values.size() * dtype_size(dtype));
    convert_from_f32(values.data(), values.size(), dtype, bytes.data());
    convert_to_f32(bytes.data(), dtype, values.size(), values.data());
  }
  return out;
}

TEST(Formats, Llama2cAndSafetensorsAgree) {
  MpiChannels world(MPI_COMM_WORLD);
  const std::filesystem::path dir = shared_temp_dir(world);
  const DenseWeights weights = random_dense_weights(tiny_config(8, 4), 2024);
  if (world.rank() == 0) {
    write_llama2c_checkpoint(weights, dir / "model.bin");
    write_hf_checkpoint(weights, dir / "hf_f32", DType::f32);
    write_hf_checkpoint(weights, dir / "hf_f16", DType::f16);
    write_hf_checkpoint(weights, dir / "hf_bf16", DType::bf16);
  }
  world.barrier();

  const std::vector<int> prompt = {1, 12, 40, 77, 3};
  const int steps = 6;
  const GreedyTrace bin = run_greedy(*open_checkpoint(dir / "model.bin"), world, prompt, steps);
  const GreedyTrace f32 = run_greedy(*open_checkpoint(dir / "hf_f32"), world, prompt, steps);
  const GreedyTrace f16 = run_greedy(*open_checkpoint(dir / "hf_f16"), world, prompt, steps);
  const GreedyTrace bf16 = run_greedy(*open_checkpoint(dir / "hf_bf16"), world, prompt, steps);
  // The 16-bit files hold exactly the rounded weights: same logits as those in f32.
  auto bf16_exact = std::make_shared<const DenseWeights>(rounded(weights, DType::bf16));
  const GreedyTrace bf16_in_f32 = run_greedy(*make_in_memory_source(bf16_exact), world, prompt, steps);

  if (world.rank() == 0) {
    EXPECT_EQ(bin.tokens, f32.tokens);
    for (int s = 0; s < steps; ++s) {
      EXPECT_LE(max_abs_diff(bin.logits[s], f32.logits[s]), kSameWeights) << "step " << s;
      EXPECT_LE(max_abs_diff(bf16.logits[s], bf16_in_f32.logits[s]), kSameWeights) << "step " << s;
    }
    // Teacher-forced comparison on the first step (later steps may pick other tokens).
    EXPECT_LE(max_abs_diff(bin.logits[0], f16.logits[0]), kF16Tolerance);
    EXPECT_LE(max_abs_diff(bin.logits[0], bf16.logits[0]), kBf16Tolerance);
    EXPECT_GT(max_abs_diff(bin.logits[0], bf16.logits[0]), 0.0) << "bf16 file was not rounded";
  }
  world.barrier();
  if (world.rank() == 0) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gs::testing
