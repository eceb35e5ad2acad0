// ServerMetrics: the counters and histograms of GET /metrics, in Prometheus's text
// format. Updated from the HTTP threads and the scheduler's thread.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>

#include "engine/scheduler.h"

namespace gs::serve {

class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1.0,  2.5,   10.0};
  void observe(double seconds);
  // The metric's lines: name_bucket{le=...}, name_sum, name_count.
  std::string render(const std::string& name, const std::string& help) const;

 private:
  std::array<long, kBounds.size()> buckets_{};  // observations <= each bound
  long count_ = 0;
  double sum_ = 0.0;
};

class ServerMetrics {
 public:
  void request_done(int status);
  void tokens(long prompt, long generated);
  void step(const StepRecord& record);
  void first_token(double seconds);
  std::string render(const SchedulerState& state) const;

 private:
  mutable std::mutex mutex_;
  std::map<int, long> requests_by_status_;
  long prompt_tokens_ = 0;
  long generated_tokens_ = 0;
  Histogram step_seconds_;
  Histogram first_token_seconds_;
};

}  // namespace gs::serve
