// StagedDirectory: an output folder written in full beside its target and put in
// the target's place only at the end, so a failed or interrupted write (a full
// disk, a file-size limit, a killed process) never destroys the previous output.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace gs {

class StagedDirectory {
 public:
  // Creates an empty hidden folder beside `target`, ".<target>.partial-HOST-PID" (the
  // same filesystem, so the final rename is atomic), after removing those of this
  // host whose process is gone (a killed convert's). Throws gs::Error naming the
  // folder if it cannot.
  explicit StagedDirectory(const std::filesystem::path& target);
  // Unless commit() succeeded: returns what commit() carried over to the target
  // and removes the staged folder.
  ~StagedDirectory();
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  const std::filesystem::path& path() const { return staged_; }

  // Puts the staged folder in the target's place. Entries of an existing target
  // are carried over, except those named in `replaced` (the files this output
  // consists of, which the staged folder supersedes even where it lacks them).
  void commit(std::span<const char* const> replaced);

 private:
  std::filesystem::path target_;
  std::filesystem::path staged_;
  std::vector<std::string> carried_;  // entries of the target moved in, moved back on failure
  bool committed_ = false;
};

}  // namespace gs
