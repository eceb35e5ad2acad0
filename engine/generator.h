// Generator: `generate` on the serving scheduler — every prompt is submitted at once
// and the Scheduler batches them continuously (prompt chunks share steps with the
// decodes of the others). Prompt i samples from the stream sequence_generator(seed, i).
#pragma once

#include <functional>
#include <vector>

#include "engine/sampler.h"
#include "engine/scheduler.h"
#include "engine/step_executor.h"

namespace gs {

struct GenerationOptions {
  int max_tokens = 128;     // generated tokens per prompt at most
  bool ignore_eos = false;  // keep going through EOS/BOS
  SamplingParams sampling;
};

struct Completion {
  std::vector<int> prompt_ids;
  std::vector<int> tokens;  // generated ids, without the EOS that ended them
  FinishReason finish = FinishReason::length;
};

struct GenerationStats {
  long prompt_tokens = 0;
  long generated_tokens = 0;
  long decode_steps = 0;     // steps without prompt tokens
  long decode_tokens = 0;    // tokens of those steps
  double prefill_seconds = 0.0;  // steps holding prompt tokens
  double decode_seconds = 0.0;
  double first_token_seconds = 0.0;  // start to the first sampled token
};

// Throws gs::Error naming the prompt when one cannot fit the KV cache or holds ids
// outside the vocabulary. generate() checks too; call it earlier to fail before any
// weights are loaded.
// encoder_decoder: prompts are encoder inputs (at most limits.capacity tokens each)
// and the decoder needs 1 + max_tokens positions.
void check_prompts(const std::vector<std::vector<int>>& prompts, int max_tokens,
                   const ModelLimits& limits, int vocab_size, bool encoder_decoder = false);

class Generator {
 public:
  // stop_ids: tokens that end a sequence (the model's EOS ids and BOS).
  Generator(StepExecutor& executor, std::vector<int> stop_ids, const SchedulerOptions& scheduling = {});

  // on_token(prompt index, token) is called for every generated token as it comes.
  std::vector<Completion> generate(const std::vector<std::vector<int>>& prompts,
                                   const GenerationOptions& options,
                                   const std::function<void(int, int)>& on_token = {});
  const GenerationStats& stats() const { return stats_; }

 private:
  StepExecutor& executor_;
  Scheduler scheduler_;
  GenerationStats stats_;
};

}  // namespace gs
