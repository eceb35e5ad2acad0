#include "engine/convert/staged_directory.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/check.h"

namespace gs {

namespace fs = std::filesystem;

namespace {

// "out/" and "out" name the same folder; the staged one needs its name.
fs::path normalized(const fs::path& target) {
  fs::path path = fs::absolute(target).lexically_normal();
  return path.has_filename() ? path : path.parent_path();
}

// ".out.partial-HOST-": the name of a folder beside `target` without the pid of
// the process that writes it; the host, as the folder may be on a shared file system.
std::string beside_prefix(const fs::path& target, const std::string& tag) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::string prefix = ".";  // appended piece by piece: GCC 12 warns (-Wrestrict) on "." + string
  prefix += target.filename().string();
  prefix += '.';
  prefix += tag;
  prefix += '-';
  prefix += host;
  prefix += "-";
  return prefix;
}

fs::path beside(const fs::path& target, const std::string& tag) {
  return target.parent_path() / (beside_prefix(target, tag) + std::to_string(getpid()));
}

// Removes the stages of `target` that processes of this host no longer running
// left behind (a convert killed mid-write).
void remove_abandoned_stages(const fs::path& target) {
  const std::string prefix = beside_prefix(target, "partial");
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(target.parent_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // running, or not ours to ask
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
}

void rename_or_throw(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::rename(from, to, error);
  GS_CHECK(!error, "cannot rename " << from.string() << " to " << to.string() << ": " << error.message());
}

}  // namespace

StagedDirectory::StagedDirectory(const fs::path& target)
    : target_(normalized(target)), staged_(beside(target_, "partial")) {
  std::error_code error;
  if (fs::exists(target_.parent_path(), error)) remove_abandoned_stages(target_);
  fs::remove_all(staged_, error);  // left by an earlier process with this pid
  fs::create_directories(staged_, error);  // and the target's parents, as a new target needs them
  GS_CHECK(!error, staged_.string() << ": cannot create the folder to write " << target_.string()
                                    << " in: " << error.message());
}

StagedDirectory::~StagedDirectory() {
  if (committed_) return;
  std::error_code ignored;
  for (const std::string& name : carried_) fs::rename(staged_ / name, target_ / name, ignored);
  fs::remove_all(staged_, ignored);
}

void StagedDirectory::commit(std::span<const char* const> replaced) {
  if (!fs::exists(target_)) {
    rename_or_throw(staged_, target_);
    committed_ = true;
    return;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(target_)) {
    const std::string name = entry.path().filename().string();
    if (std::find(replaced.begin(), replaced.end(), name) != replaced.end()) continue;
    rename_or_throw(entry.path(), staged_ / name);
    carried_.push_back(name);
  }
  // One atomic exchange: the target is at every moment the old folder or the new.
  if (renameat2(AT_FDCWD, staged_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
    committed_ = true;
    std::error_code error;
    fs::remove_all(staged_, error);  // now the previous output
    GS_CHECK(!error, "cannot remove the previous output, now at " << staged_.string() << ": " << error.message());
    return;
  }
  // Filesystems without the exchange (NFS): two renames; an interruption between
  // them leaves both folders, complete, beside the target.
  GS_CHECK(errno == EINVAL || errno == ENOSYS,
           "cannot move " << staged_.string() << " to " << target_.string() << ": " << std::strerror(errno));
  const fs::path previous = beside(target_, "previous");
  rename_or_throw(target_, previous);
  std::error_code error;
  fs::rename(staged_, target_, error);
  if (error) {
    const std::string why = error.message();
    fs::rename(previous, target_, error);  // the previous output back in place
    GS_FAIL("cannot move " << staged_.string() << " to " << target_.string() << ": " << why);
  }
  committed_ = true;
  fs::remove_all(previous, error);
  GS_CHECK(!error, "cannot remove the previous output, now at " << previous.string() << ": " << error.message());
}

}  // namespace gs
