// StagedDirectory: the target is only ever the previous folder or the complete
// new one; an abandoned stage leaves the target as it was, files carried over
// included, and nothing beside it; a stage a killed process left is removed by the
// next one.
#include "engine/convert/staged_directory.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

namespace gs {
namespace {

namespace fs = std::filesystem;

constexpr std::array<const char*, 2> kReplaced = {"model.bin", "stale.json"};

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string read(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

class StagedDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("staged_directory_test-" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "out");
    write(root_ / "out" / "model.bin", "old model");
    write(root_ / "out" / "stale.json", "old index");
    write(root_ / "out" / "notes.txt", "the user's notes");
  }
  void TearDown() override { fs::remove_all(root_); }

  // Entries of root_ other than out/.
  std::vector<std::string> beside_out() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(root_))
      if (entry.path().filename() != "out") names.push_back(entry.path().filename().string());
    return names;
  }

  fs::path root_;
};

TEST_F(StagedDirectoryTest, CommitToANewTargetRenamesTheStage) {
  {
    StagedDirectory staged(root_ / "new/");
    write(staged.path() / "model.bin", "new model");
    EXPECT_FALSE(fs::exists(root_ / "new"));
    staged.commit(kReplaced);
  }
  EXPECT_EQ(read(root_ / "new" / "model.bin"), "new model");
  EXPECT_EQ(beside_out(), std::vector<std::string>{"new"});
}

TEST_F(StagedDirectoryTest, CommitCreatesTheTargetsParents) {
  {
    StagedDirectory staged(root_ / "a" / "b" / "new");
    write(staged.path() / "model.bin", "new model");
    staged.commit(kReplaced);
  }
  EXPECT_EQ(read(root_ / "a" / "b" / "new" / "model.bin"), "new model");
  EXPECT_EQ(fs::directory_iterator(root_ / "a" / "b")->path().filename(), "new");  // nothing beside it
}

TEST_F(StagedDirectoryTest, CommitReplacesOutputFilesAndKeepsOthers) {
  {
    StagedDirectory staged(root_ / "out");
    write(staged.path() / "model.bin", "new model");
    staged.commit(kReplaced);
  }
  EXPECT_EQ(read(root_ / "out" / "model.bin"), "new model");
  EXPECT_FALSE(fs::exists(root_ / "out" / "stale.json"));  // an output file the new output lacks
  EXPECT_EQ(read(root_ / "out" / "notes.txt"), "the user's notes");
  EXPECT_TRUE(beside_out().empty());
}

TEST_F(StagedDirectoryTest, AbandonedStageLeavesTheTargetAsItWas) {
  {
    StagedDirectory staged(root_ / "out");
    write(staged.path() / "model.bin", "half a model");
    EXPECT_EQ(read(root_ / "out" / "model.bin"), "old model");
  }
  EXPECT_EQ(read(root_ / "out" / "model.bin"), "old model");
  EXPECT_EQ(read(root_ / "out" / "stale.json"), "old index");
  EXPECT_EQ(read(root_ / "out" / "notes.txt"), "the user's notes");
  EXPECT_TRUE(beside_out().empty());
}

TEST_F(StagedDirectoryTest, FailedCommitLeavesTheTargetAndNothingBeside) {
  // A target that cannot be replaced: a file where the stage's folder must go.
  write(root_ / "file", "not a folder");
  {
    StagedDirectory staged(root_ / "file");
    write(staged.path() / "model.bin", "new model");
    EXPECT_ANY_THROW(staged.commit(kReplaced));
  }
  EXPECT_EQ(read(root_ / "file"), "not a folder");
  EXPECT_EQ(beside_out(), std::vector<std::string>{"file"});
}

// The pid of a process that has ended (a child reaped).
pid_t ended_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

TEST_F(StagedDirectoryTest, RemovesStagesThatEndedProcessesOfThisHostLeft) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const std::string ours = std::string(".out.partial-") + host + "-";
  const std::string killed = ours + std::to_string(ended_pid());
  const std::string running = ours + std::to_string(getppid());
  const std::string elsewhere = ".out.partial-another-host-" + std::to_string(ended_pid());
  for (const std::string& name : {killed, running, elsewhere}) {
    fs::create_directories(root_ / name);
    write(root_ / name / "model.safetensors", "half written");
  }
  {
    StagedDirectory staged(root_ / "out");
    EXPECT_EQ(staged.path(), root_ / (ours + std::to_string(getpid())));
    std::vector<std::string> names = beside_out();
    std::sort(names.begin(), names.end());
    std::vector<std::string> expected = {running, elsewhere, staged.path().filename().string()};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(names, expected);
  }
  EXPECT_EQ(read(root_ / "out" / "model.bin"), "old model");
}

}  // namespace
}  // namespace gs
