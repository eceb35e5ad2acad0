// Generator: rank 0's decoding loop. Prompts are prefilled whole (in chunks of the
// step limit), then every sequence in flight advances one token per decode step;
// when a sequence ends, the next waiting prompt takes its cache slot. Each sequence
// holds the KV blocks of its whole length (prompt + max_tokens) from its start, so a
// prompt waits while the pool lacks them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/kv_blocks.h"
#include "engine/sampler.h"
#include "engine/step_executor.h"

namespace gs {

struct GenerationOptions {
  int max_tokens = 128;     // generated tokens per prompt at most
  bool ignore_eos = false;  // keep going through EOS/BOS
  SamplingParams sampling;
};

enum class FinishReason { eos, length };
std::string finish_reason_name(FinishReason reason);

struct Completion {
  std::vector<int> prompt_ids;
  std::vector<int> tokens;  // generated ids, without the EOS that ended them
  FinishReason finish = FinishReason::length;
};

struct GenerationStats {
  long prompt_tokens = 0;
  long generated_tokens = 0;
  long decode_steps = 0;
  long decode_tokens = 0;  // tokens sampled in decode steps (each sequence's first comes from prefill)
  double prefill_seconds = 0.0;
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
  Generator(StepExecutor& executor, std::vector<int> stop_ids);

  // on_token(prompt index, token) is called for every generated token as it comes.
  std::vector<Completion> generate(const std::vector<std::vector<int>>& prompts,
                                   const GenerationOptions& options,
                                   const std::function<void(int, int)>& on_token = {});
  const GenerationStats& stats() const { return stats_; }

 private:
  struct Sequence {
    int index = 0;     // prompt index
    int slot = 0;      // KV-cache slot
    int position = 0;  // position of last_token
    int last_token = 0;
  };

  // Prefills prompt `index` into `slot` and samples its first token.
  int prefill(int index, int slot, const std::vector<int>& prompt, Sampler& sampler);
  // Records token for sequence; returns true when the sequence is finished.
  bool accept(int index, int token, const GenerationOptions& options,
              std::vector<Completion>& completions, const std::function<void(int, int)>& on_token);

  // Runs batch_ (its block tables attached) and returns its logits.
  std::span<const float> run_batch();

  StepExecutor& executor_;
  std::vector<int> stop_ids_;
  KvBlocks kv_;
  StepBatch batch_;
  GenerationStats stats_;
};

}  // namespace gs
