#include "engine/perplexity.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/check.h"

namespace gs {

NllAccumulator::NllAccumulator(int vocab_size) : vocab_(vocab_size) {
  GS_CHECK(vocab_size >= 1, "the vocabulary must hold at least one token, got " << vocab_size);
}

void NllAccumulator::add(std::span<const float> logits, std::span<const int> targets) {
  GS_CHECK(logits.size() == targets.size() * static_cast<std::size_t>(vocab_),
           "got " << logits.size() << " logits for " << targets.size() << " targets of vocabulary "
                  << vocab_);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const int target = targets[i];
    GS_CHECK(target >= 0 && target < vocab_,
             "target token " << target << " is outside the vocabulary of " << vocab_);
    const std::span<const float> row = logits.subspan(i * vocab_, vocab_);
    // log-sum-exp around the row's maximum so no exp() overflows.
    const double top = *std::max_element(row.begin(), row.end());
    double sum = 0.0;
    for (float x : row) sum += std::exp(static_cast<double>(x) - top);
    const double nll = top + std::log(sum) - static_cast<double>(row[target]);
    GS_CHECK(std::isfinite(nll), "the logits predicting token " << target << " are not finite");
    total_ += nll;
  }
  tokens_ += static_cast<std::int64_t>(targets.size());
}

double NllAccumulator::mean_nll() const {
  GS_CHECK(tokens_ > 0, "no tokens were evaluated, so there is no mean log-likelihood");
  return total_ / static_cast<double>(tokens_);
}

double NllAccumulator::perplexity() const { return std::exp(mean_nll()); }

std::vector<TokenWindow> split_windows(std::int64_t n_tokens, int context) {
  GS_CHECK(context >= 1, "the context window must hold at least one token, got " << context);
  std::vector<TokenWindow> windows;
  for (std::int64_t begin = 0; begin < n_tokens; begin += context)
    windows.push_back({begin, std::min(n_tokens, begin + context)});
  return windows;
}

PerplexityResult evaluate_perplexity(StepExecutor& executor, std::span<const int> tokens,
                                     int bos_id, int context, const PerplexityProgress& progress) {
  const ModelLimits& limits = executor.model().limits();
  GS_CHECK(!tokens.empty(), "no tokens to evaluate");
  GS_CHECK(context >= 1 && context <= limits.capacity,
           "the context window of " << context << " tokens must be between 1 and the KV cache's "
                                    << limits.capacity << " positions");
  const auto start = std::chrono::steady_clock::now();
  NllAccumulator nll(executor.model().config().vocab_size);
  const std::vector<TokenWindow> windows = split_windows(static_cast<std::int64_t>(tokens.size()), context);
  StepBatch batch;
  for (const TokenWindow& window : windows) {
    // Input at position p is the token before target p: BOS, then the window shifted by one.
    const int length = static_cast<int>(window.end - window.begin);
    for (int first = 0; first < length; first += limits.max_step_tokens) {
      const int last = std::min(length, first + limits.max_step_tokens);
      batch.clear();
      for (int p = first; p < last; ++p)
        batch.add(p == 0 ? bos_id : tokens[window.begin + p - 1], p, 0, true);
      nll.add(executor.run(batch), tokens.subspan(window.begin + first, last - first));
    }
    if (progress) progress(nll.tokens(), static_cast<std::int64_t>(tokens.size()));
  }
  PerplexityResult result;
  result.tokens = nll.tokens();
  result.windows = static_cast<int>(windows.size());
  result.context = context;
  result.nll = nll.mean_nll();
  result.perplexity = nll.perplexity();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace gs
