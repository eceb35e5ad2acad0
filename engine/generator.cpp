#include "engine/generator.h"

#include <algorithm>
#include <chrono>
#include <deque>

#include "common/check.h"

namespace gs {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
}  // namespace

std::string finish_reason_name(FinishReason reason) {
  return reason == FinishReason::eos ? "eos" : "length";
}

Generator::Generator(StepExecutor& executor, std::vector<int> stop_ids)
    : executor_(executor), stop_ids_(std::move(stop_ids)) {
  const int T = executor.model().limits().max_step_tokens;
  batch_.tokens.reserve(T);
  batch_.positions.reserve(T);
  batch_.slots.reserve(T);
  batch_.logit_rows.reserve(T);
}

void check_prompts(const std::vector<std::vector<int>>& prompts, int max_tokens,
                   const ModelLimits& limits, int vocab) {
  GS_CHECK(max_tokens >= 1, "max_tokens must be at least 1, got " << max_tokens);
  GS_CHECK(!prompts.empty(), "no prompt given: pass --prompt TEXT or --prompt-ids 1,2,3");
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const std::vector<int>& p = prompts[i];
    GS_CHECK(!p.empty(), "prompt " << i << " has no tokens");
    for (int id : p)
      GS_CHECK(id >= 0 && id < vocab, "prompt " << i << ": token id " << id
                                                << " is outside the vocabulary of " << vocab);
    GS_CHECK(static_cast<long>(p.size()) + max_tokens <= limits.capacity,
             "prompt " << i << " has " << p.size() << " tokens; with max_tokens " << max_tokens
                       << " it needs " << p.size() + max_tokens
                       << " positions but the KV cache holds " << limits.capacity
                       << " per sequence (lower --max-tokens or shorten the prompt)");
  }
}

int Generator::prefill(int index, int slot, const std::vector<int>& prompt, Sampler& sampler) {
  const int chunk = executor_.model().limits().max_step_tokens;
  const int n = static_cast<int>(prompt.size());
  const auto start = Clock::now();
  std::span<const float> logits;
  for (int begin = 0; begin < n; begin += chunk) {
    const int end = std::min(n, begin + chunk);
    batch_.clear();
    for (int p = begin; p < end; ++p) batch_.add(prompt[p], p, slot, p == n - 1);
    logits = executor_.run(batch_);
  }
  stats_.prefill_seconds += seconds_since(start);
  stats_.prompt_tokens += n;
  sampler.start_sequence(index);
  return sampler.sample(index, logits);
}

bool Generator::accept(int index, int token, const GenerationOptions& options,
                       std::vector<Completion>& completions,
                       const std::function<void(int, int)>& on_token) {
  Completion& c = completions[index];
  const bool stop = std::find(stop_ids_.begin(), stop_ids_.end(), token) != stop_ids_.end();
  if (stop && !options.ignore_eos) {
    c.finish = FinishReason::eos;
    return true;
  }
  c.tokens.push_back(token);
  ++stats_.generated_tokens;
  if (on_token) on_token(index, token);
  if (static_cast<int>(c.tokens.size()) >= options.max_tokens) {
    c.finish = FinishReason::length;
    return true;
  }
  return false;
}

std::vector<Completion> Generator::generate(const std::vector<std::vector<int>>& prompts,
                                            const GenerationOptions& options,
                                            const std::function<void(int, int)>& on_token) {
  check_prompts(prompts, options.max_tokens, executor_.model().limits(),
                executor_.model().config().vocab_size);
  stats_ = {};
  const auto start = Clock::now();
  const int vocab = executor_.model().config().vocab_size;
  Sampler sampler(options.sampling, vocab);
  std::vector<Completion> completions(prompts.size());
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    completions[i].prompt_ids = prompts[i];
    completions[i].tokens.reserve(options.max_tokens);
  }

  std::deque<int> waiting;
  for (std::size_t i = 0; i < prompts.size(); ++i) waiting.push_back(static_cast<int>(i));
  std::vector<int> free_slots;
  for (int s = executor_.model().limits().slots - 1; s >= 0; --s) free_slots.push_back(s);
  std::vector<Sequence> active;
  active.reserve(free_slots.size());

  while (!waiting.empty() || !active.empty()) {
    while (!waiting.empty() && !free_slots.empty()) {
      const int index = waiting.front(), slot = free_slots.back();
      waiting.pop_front();
      free_slots.pop_back();
      const int token = prefill(index, slot, prompts[index], sampler);
      if (stats_.first_token_seconds == 0.0) stats_.first_token_seconds = seconds_since(start);
      if (accept(index, token, options, completions, on_token)) {
        free_slots.push_back(slot);
      } else {
        active.push_back({index, slot, static_cast<int>(prompts[index].size()), token});
      }
    }
    if (active.empty()) continue;

    const auto step_start = Clock::now();
    batch_.clear();
    for (const Sequence& s : active) batch_.add(s.last_token, s.position, s.slot, true);
    const std::span<const float> logits = executor_.run(batch_);
    stats_.decode_tokens += static_cast<long>(active.size());
    std::size_t kept = 0;  // compacted in place: the decode loop does not allocate
    for (std::size_t i = 0; i < active.size(); ++i) {
      Sequence s = active[i];
      const int token = sampler.sample(s.index, logits.subspan(i * vocab, vocab));
      if (accept(s.index, token, options, completions, on_token)) {
        free_slots.push_back(s.slot);
      } else {
        s.position += 1;
        s.last_token = token;
        active[kept++] = s;
      }
    }
    active.resize(kept);
    stats_.decode_seconds += seconds_since(step_start);
    ++stats_.decode_steps;
  }
  return completions;
}

}  // namespace gs
