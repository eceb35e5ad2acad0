#include "engine/seq2seq_eval.h"

#include <algorithm>
#include <chrono>

#include "common/check.h"

namespace gs {

PerplexityResult evaluate_seq2seq(StepExecutor& executor, std::span<const Seq2SeqPair> pairs,
                                  const PerplexityProgress& progress) {
  Model& model = executor.model();
  GS_CHECK(model.has_encoder(), "sequence-to-sequence evaluation needs an encoder-decoder model");
  const ModelLimits& limits = model.limits();
  const int vocab = model.config().vocab_size;
  std::int64_t total = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const Seq2SeqPair& p = pairs[i];
    GS_CHECK(!p.input.empty() && static_cast<int>(p.input.size()) <= limits.capacity,
             "pair " << i << ": the input has " << p.input.size() << " tokens; 1.." << limits.capacity << " fit");
    GS_CHECK(!p.target.empty() && static_cast<int>(p.target.size()) <= limits.capacity,
             "pair " << i << ": the target has " << p.target.size() << " tokens; 1.." << limits.capacity
                     << " decoder positions fit");
    for (const auto* ids : {&p.input, &p.target})
      for (int id : *ids)
        GS_CHECK(id >= 0 && id < vocab, "pair " << i << ": token id " << id << " is outside the vocabulary of " << vocab);
    total += static_cast<std::int64_t>(p.target.size());
  }
  const auto start = std::chrono::steady_clock::now();
  NllAccumulator nll(vocab);
  StepBatch batch;
  std::int64_t done = 0;
  for (const Seq2SeqPair& p : pairs) {
    executor.encode(0, p.input);
    const int m = static_cast<int>(p.target.size());
    for (int begin = 0; begin < m; begin += limits.max_step_tokens) {
      const int end = std::min(m, begin + limits.max_step_tokens);
      batch.clear();
      for (int pos = begin; pos < end; ++pos)
        batch.add(pos == 0 ? model.decoder_start_id() : p.target[pos - 1], pos, 0, true);
      const std::span<const float> logits = executor.run(batch);
      nll.add(logits, std::span<const int>(p.target).subspan(begin, end - begin));
    }
    done += m;
    if (progress) progress(done, total);
  }
  PerplexityResult r;
  r.tokens = nll.tokens();
  r.windows = static_cast<int>(pairs.size());
  r.context = limits.capacity;
  r.nll = nll.mean_nll();
  r.perplexity = nll.perplexity();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace gs
