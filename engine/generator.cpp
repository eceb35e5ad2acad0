#include "engine/generator.h"

#include <chrono>

#include "common/check.h"

namespace gs {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
}  // namespace

void check_prompts(const std::vector<std::vector<int>>& prompts, int max_tokens,
                   const ModelLimits& limits, int vocab, bool encoder_decoder) {
  GS_CHECK(max_tokens >= 1, "max_tokens must be at least 1, got " << max_tokens);
  GS_CHECK(!prompts.empty(), "no prompt given: pass --prompt TEXT or --prompt-ids 1,2,3");
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const std::vector<int>& p = prompts[i];
    GS_CHECK(!p.empty(), "prompt " << i << " has no tokens");
    for (int id : p)
      GS_CHECK(id >= 0 && id < vocab, "prompt " << i << ": token id " << id
                                                << " is outside the vocabulary of " << vocab);
    if (encoder_decoder) {
      // The prompt is the encoder's input; the decoder holds its start token and the
      // generated tokens.
      GS_CHECK(static_cast<long>(p.size()) <= limits.capacity,
               "prompt " << i << " has " << p.size() << " tokens but the encoder input may have at most "
                         << limits.capacity << " (runtime.max_seq_len)");
      GS_CHECK(1L + max_tokens <= limits.capacity,
               "max_tokens " << max_tokens << " needs " << 1 + max_tokens << " decoder positions but the KV cache holds "
                             << limits.capacity << " per sequence (lower --max-tokens)");
      continue;
    }
    GS_CHECK(static_cast<long>(p.size()) + max_tokens <= limits.capacity,
             "prompt " << i << " has " << p.size() << " tokens; with max_tokens " << max_tokens
                       << " it needs " << p.size() + max_tokens
                       << " positions but the KV cache holds " << limits.capacity
                       << " per sequence (lower --max-tokens or shorten the prompt)");
  }
}

Generator::Generator(StepExecutor& executor, std::vector<int> stop_ids, const SchedulerOptions& scheduling)
    : executor_(executor), scheduler_(executor, std::move(stop_ids), scheduling) {}

std::vector<Completion> Generator::generate(const std::vector<std::vector<int>>& prompts,
                                            const GenerationOptions& options,
                                            const std::function<void(int, int)>& on_token) {
  check_prompts(prompts, options.max_tokens, executor_.model().limits(),
                executor_.model().config().vocab_size, executor_.model().has_encoder());
  options.sampling.validate();
  stats_ = {};
  const auto start = Clock::now();
  std::vector<Completion> completions(prompts.size());
  scheduler_.set_step_observer([this](const StepRecord& step) {
    if (step.prefill_tokens > 0) {
      stats_.prefill_seconds += step.seconds;
    } else {
      stats_.decode_seconds += step.seconds;
      stats_.decode_tokens += step.decode_tokens;
      ++stats_.decode_steps;
    }
  });
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    Completion& c = completions[i];
    c.prompt_ids = prompts[i];
    c.tokens.reserve(options.max_tokens);
    stats_.prompt_tokens += static_cast<long>(prompts[i].size());
    SequenceRequest request;
    request.prompt = prompts[i];
    request.max_tokens = options.max_tokens;
    request.ignore_eos = options.ignore_eos;
    request.sampling = options.sampling;
    request.sampling_stream = static_cast<int>(i);
    request.on_token = [this, &c, &on_token, &start, i](int token) {
      if (stats_.first_token_seconds == 0.0) stats_.first_token_seconds = seconds_since(start);
      c.tokens.push_back(token);
      ++stats_.generated_tokens;
      if (on_token) on_token(static_cast<int>(i), token);
      return true;
    };
    request.on_finish = [&c](const SequenceOutcome& outcome) { c.finish = outcome.finish; };
    GS_CHECK(scheduler_.submit(std::move(request)) >= 0, "the scheduler refused prompt " << i);
  }
  scheduler_.run_until_idle();
  scheduler_.set_step_observer({});
  return completions;
}

}  // namespace gs
