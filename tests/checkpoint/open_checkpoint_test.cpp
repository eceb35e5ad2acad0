// open_checkpoint dispatches on what the path is and refuses everything else clearly.
#include <gtest/gtest.h>

#include "test_util.h"

namespace gs {
namespace {

using testing::error_of;

TEST(OpenCheckpoint, Llama2cFile) {
  const auto source = open_checkpoint(testing::shared_dir() / "models/stories260K/stories260K.bin");
  EXPECT_EQ(source->config().n_kv_heads, 4);
  EXPECT_CONTAINS(source->describe(), "llama2.c checkpoint");
}

TEST(OpenCheckpoint, MissingPath) {
  testing::TempDir dir;
  const std::string message = error_of([&] { open_checkpoint(dir / "nowhere.bin"); });
  EXPECT_CONTAINS(message, "nowhere.bin");
  EXPECT_CONTAINS(message, "no such file or directory");
  EXPECT_CONTAINS(message, "llama2.c .bin file or a Hugging Face checkpoint directory");
}

TEST(OpenCheckpoint, GgufIsNotSupportedYet) {
  const std::string message = error_of(
      [&] { open_checkpoint(testing::shared_dir() / "models/stories260K/stories260K.gguf"); });
  EXPECT_CONTAINS(message, "stories260K.gguf");
  EXPECT_CONTAINS(message, "GGUF is not supported yet");
  // Recognised by its magic bytes whatever the name.
  testing::TempDir dir;
  testing::write_text(dir / "model.bin", "GGUF\x03\0\0\0 and more");
  EXPECT_CONTAINS(error_of([&] { open_checkpoint(dir / "model.bin"); }),
                  "GGUF is not supported yet");
}

TEST(OpenCheckpoint, DirectoryWithoutConfig) {
  testing::TempDir dir;
  const std::string message = error_of([&] { open_checkpoint(dir.path()); });
  EXPECT_CONTAINS(message, dir.path().string());
  EXPECT_CONTAINS(message, "directory has no config.json");
}

TEST(OpenCheckpoint, FileInsideHfDirectory) {
  testing::TempDir dir;
  write_hf_checkpoint(random_dense_weights(testing::tiny_config(), 1), dir.path(), DType::f32);
  EXPECT_CONTAINS(error_of([&] { open_checkpoint(dir / "model.safetensors"); }),
                  "pass the Hugging Face checkpoint directory");
  EXPECT_EQ(open_checkpoint(dir.path())->config().dim, 32);
}

}  // namespace
}  // namespace gs
