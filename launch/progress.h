// Progress of a long job (convert, eval, bench) on stderr, for the person waiting.
//
// On a terminal one line is redrawn in place: a bar, done / total, rate and ETA.
// Anywhere else (a log, CI) redrawing would leave a mess of carriage returns, so
// a plain line is printed each time another tenth of the work is done, and one
// when it ends.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>

namespace gs {

enum class ProgressStyle {
  automatic,  // bar if the stream is a terminal, lines otherwise
  bar,
  lines,
};

struct ProgressOptions {
  // ProgressOptions{"eval", "tokens"}; the rest is rarely changed.
  explicit ProgressOptions(std::string label = {}, std::string unit = "B")
      : label(std::move(label)), unit(std::move(unit)) {}

  std::string label;  // starts every line: "convert"
  std::string unit;   // "B": amounts as B/KiB/MiB/GiB; anything else counts ("tokens")
  ProgressStyle style = ProgressStyle::automatic;
  std::FILE* out = stderr;
  std::function<double()> clock;  // seconds from any fixed start; steady_clock if empty
};

class Progress {
 public:
  Progress(std::uint64_t total, ProgressOptions options);
  // Ends a bar left unfinished (by an error) so the next message starts a fresh line.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` of `total` units are finished (clamped to total); redraws when useful.
  void update(std::uint64_t done);
  void add(std::uint64_t amount) { update(done_ + amount); }
  // Prints the final line (amount, time, mean rate) once; later calls do nothing.
  void finish();

 private:
  double elapsed() const;
  std::string status(double seconds) const;  // "45% (12.3 MiB of 27.0 MiB), 5.1 MiB/s, ETA 3s"
  void draw_bar(double seconds);

  std::uint64_t total_;
  std::uint64_t done_ = 0;
  ProgressOptions options_;
  bool bar_;
  double start_;
  double last_draw_ = -1;  // when the bar was last drawn; < 0 before the first
  int last_tenth_ = 0;     // lines printed up to this tenth
  bool finished_ = false;
};

}  // namespace gs
