#include "serve/metrics.h"

#include <sstream>

namespace gs::serve {

void Histogram::observe(double seconds) {
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) ++buckets_[i];
  ++count_;
  sum_ += seconds;
}

std::string Histogram::render(const std::string& name, const std::string& help) const {
  std::ostringstream out;
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    out << name << "_bucket{le=\"" << kBounds[i] << "\"} " << buckets_[i] << "\n";
  out << name << "_bucket{le=\"+Inf\"} " << count_ << "\n";
  out << name << "_sum " << sum_ << "\n" << name << "_count " << count_ << "\n";
  return out.str();
}

void ServerMetrics::request_done(int status) {
  std::lock_guard lock(mutex_);
  ++requests_by_status_[status];
}

void ServerMetrics::tokens(long prompt, long generated) {
  std::lock_guard lock(mutex_);
  prompt_tokens_ += prompt;
  generated_tokens_ += generated;
}

void ServerMetrics::step(const StepRecord& record) {
  std::lock_guard lock(mutex_);
  step_seconds_.observe(record.seconds);
}

void ServerMetrics::first_token(double seconds) {
  std::lock_guard lock(mutex_);
  first_token_seconds_.observe(seconds);
}

std::string ServerMetrics::render(const SchedulerState& state) const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  auto gauge = [&](const char* name, const char* help, const char* type, double value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
        << name << " " << value << "\n";
  };
  out << "# HELP groupshard_requests_total Requests answered, by HTTP status.\n"
      << "# TYPE groupshard_requests_total counter\n";
  for (const auto& [status, count] : requests_by_status_)
    out << "groupshard_requests_total{status=\"" << status << "\"} " << count << "\n";
  gauge("groupshard_prompt_tokens_total", "Prompt tokens of finished requests.", "counter", prompt_tokens_);
  gauge("groupshard_generated_tokens_total", "Tokens generated for finished requests.", "counter", generated_tokens_);
  gauge("groupshard_queue_depth", "Requests waiting for admission.", "gauge", state.waiting);
  gauge("groupshard_running_sequences", "Sequences admitted (prefilling or decoding).", "gauge", state.running);
  gauge("groupshard_preemptions_total", "Sequences preempted to be recomputed later.", "counter", state.preemptions);
  gauge("groupshard_kv_blocks_total", "KV-cache blocks.", "gauge", state.blocks.total);
  gauge("groupshard_kv_blocks_used", "KV-cache blocks held by sequences.", "gauge", state.blocks.used);
  gauge("groupshard_kv_blocks_free", "KV-cache blocks not held by a sequence.", "gauge", state.blocks.free());
  gauge("groupshard_kv_blocks_cached", "Free blocks remembered for prefix sharing.", "gauge", state.blocks.cached);
  out << step_seconds_.render("groupshard_step_seconds", "Time of one forward step.");
  out << first_token_seconds_.render("groupshard_time_to_first_token_seconds",
                                     "Time from a request's arrival to its first token.");
  return out.str();
}

}  // namespace gs::serve
