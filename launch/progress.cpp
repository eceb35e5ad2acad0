#include "launch/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "common/text.h"

namespace gs {

namespace {

constexpr int kBarWidth = 30;
constexpr double kRedrawSeconds = 0.1;  // a bar redrawn faster only costs time

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string amount_text(double amount, const std::string& unit) {
  if (unit != "B") return printf_text("%.0f %s", amount, unit.c_str());
  if (amount < 1024) return printf_text("%.0f B", amount);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  for (amount /= 1024; amount >= 1024 && i < 3; ++i) amount /= 1024;
  return printf_text("%.1f %s", amount, units[i]);
}

std::string rate_text(double per_second, const std::string& unit) {
  if (unit == "B") return amount_text(per_second, unit) + "/s";
  return printf_text("%.1f %s/s", per_second, unit.c_str());
}

int percent(std::uint64_t done, std::uint64_t total) {
  return total == 0 ? 100 : static_cast<int>(100 * done / total);
}

std::string duration_text(double seconds) {
  const long s = std::lround(seconds);
  if (s < 60) return printf_text("%lds", s);
  if (s < 3600) return printf_text("%ldm%02lds", s / 60, s % 60);
  return printf_text("%ldh%02ldm", s / 3600, s % 3600 / 60);
}

}  // namespace

Progress::Progress(std::uint64_t total, ProgressOptions options)
    : total_(total), options_(std::move(options)) {
  if (!options_.clock) options_.clock = steady_seconds;
  bar_ = options_.style == ProgressStyle::bar ||
         (options_.style == ProgressStyle::automatic && ::isatty(::fileno(options_.out)));
  start_ = options_.clock();
}

Progress::~Progress() {
  if (bar_ && last_draw_ >= 0 && !finished_) std::fputc('\n', options_.out);
}

double Progress::elapsed() const { return options_.clock() - start_; }

std::string Progress::status(double seconds) const {
  std::string text = printf_text("%3d%% (", percent(done_, total_)) +
                     amount_text(static_cast<double>(done_), options_.unit) + " of " +
                     amount_text(static_cast<double>(total_), options_.unit) + ")";
  if (seconds > 0 && done_ > 0) {
    const double rate = done_ / seconds;
    text += ", " + rate_text(rate, options_.unit);
    if (done_ < total_) text += ", ETA " + duration_text((total_ - done_) / rate);
  }
  return text;
}

void Progress::draw_bar(double seconds) {
  const int filled = percent(done_, total_) * kBarWidth / 100;
  const std::string bar = std::string(filled, '#') + std::string(kBarWidth - filled, '.');
  // \033[K clears what a longer previous line left behind.
  std::fprintf(options_.out, "\r%s [%s] %s\033[K", options_.label.c_str(), bar.c_str(),
               status(seconds).c_str());
  std::fflush(options_.out);
  last_draw_ = seconds;
}

void Progress::update(std::uint64_t done) {
  if (finished_) return;
  done_ = std::min(done, total_);
  const double seconds = elapsed();
  if (bar_) {
    if (last_draw_ < 0 || seconds - last_draw_ >= kRedrawSeconds) draw_bar(seconds);
    return;
  }
  // The last tenth is left to finish(), which says how long it all took.
  const int tenth = total_ == 0 ? 10 : static_cast<int>(10 * done_ / total_);
  if (tenth > last_tenth_ && tenth < 10) {
    std::fprintf(options_.out, "%s: %s\n", options_.label.c_str(), status(seconds).c_str());
    std::fflush(options_.out);
    last_tenth_ = tenth;
  }
}

void Progress::finish() {
  if (finished_) return;
  const double seconds = elapsed();
  if (bar_) {
    draw_bar(seconds);
    std::fputc('\n', options_.out);
  } else {
    std::string line = options_.label + ": " + printf_text("%d%% (", percent(done_, total_)) +
                       amount_text(static_cast<double>(done_), options_.unit) +
                       printf_text(") in %.2fs", seconds);
    if (seconds > 0 && done_ > 0) line += ", " + rate_text(done_ / seconds, options_.unit);
    std::fprintf(options_.out, "%s\n", line.c_str());
  }
  std::fflush(options_.out);
  finished_ = true;
}

}  // namespace gs
