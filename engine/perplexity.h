// Perplexity: exp(mean negative log-likelihood per predicted token) of a model on
// a token stream.
//
// Windows: the stream is cut into non-overlapping windows of `context` tokens.
// A window is fed as BOS followed by all of its tokens but the last, at positions
// 0..context-1 of KV-cache slot 0, and the logits at every position predict the
// window's next token; so every token of the stream is predicted exactly once,
// from BOS and the tokens before it in its own window. Non-overlapping windows
// cost one forward pass per token; tokens early in a window see little context,
// so the figure is somewhat higher than a sliding window's would be.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/step_executor.h"

namespace gs {

// Sums -log softmax(logits)[target] over rows, in double: float32 logits, but the
// log-sum-exp and the running sum are exact enough that the total does not depend
// on how many rows there are or how the work was split.
class NllAccumulator {
 public:
  explicit NllAccumulator(int vocab_size);

  // logits (targets.size(), vocab) row-major; one target id per row. Throws
  // gs::Error for a target outside the vocabulary or a non-finite result.
  void add(std::span<const float> logits, std::span<const int> targets);

  std::int64_t tokens() const { return tokens_; }
  double total_nll() const { return total_; }
  double mean_nll() const;    // nats per token; throws when nothing was added
  double perplexity() const;  // exp(mean_nll())

 private:
  int vocab_;
  std::int64_t tokens_ = 0;
  double total_ = 0.0;
};

// [begin, end) of the token stream.
struct TokenWindow {
  std::int64_t begin = 0;
  std::int64_t end = 0;
};

// Non-overlapping windows of `context` tokens covering n_tokens (the last may be short).
std::vector<TokenWindow> split_windows(std::int64_t n_tokens, int context);

struct PerplexityResult {
  std::int64_t tokens = 0;  // predicted tokens
  int windows = 0;
  int context = 0;
  double nll = 0.0;         // mean, nats per token
  double perplexity = 0.0;
  double seconds = 0.0;     // forward passes and log-softmax, rank 0's clock
};

// Called after each window with (tokens predicted so far, tokens in all).
using PerplexityProgress = std::function<void(std::int64_t, std::int64_t)>;

// Rank 0 (the other ranks sit in executor.serve()): predicts every token of
// `tokens` (text ids, no BOS) in windows of `context`, feeding steps of at most
// the model's max_step_tokens. context must fit the model's KV cache.
PerplexityResult evaluate_perplexity(StepExecutor& executor, std::span<const int> tokens,
                                     int bos_id, int context,
                                     const PerplexityProgress& progress = {});

}  // namespace gs
