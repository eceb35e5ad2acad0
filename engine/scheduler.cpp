#include "engine/scheduler.h"

#include <algorithm>

#include "common/check.h"

namespace gs {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

std::string finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::eos: return "eos";
    case FinishReason::length: return "length";
    case FinishReason::stop: return "stop";
    case FinishReason::cancelled: return "cancelled";
  }
  return "unknown";
}

Scheduler::Scheduler(StepExecutor& executor, std::vector<int> stop_ids, const SchedulerOptions& options)
    : executor_(executor),
      stop_ids_(std::move(stop_ids)),
      options_(options),
      // An encoder-decoder model's decoder states depend on the encoder input too,
      // which block hashes do not see: no prefix sharing there.
      kv_(executor.model().limits(), options.prefix_caching && !executor.model().has_encoder()),
      sampler_(executor.model().config().vocab_size) {
  const ModelLimits& limits = executor.model().limits();
  for (int s = limits.slots - 1; s >= 0; --s) free_slots_.push_back(s);
  batch_.tokens.reserve(limits.max_step_tokens);
  batch_.positions.reserve(limits.max_step_tokens);
  batch_.slots.reserve(limits.max_step_tokens);
  batch_.logit_rows.reserve(limits.max_step_tokens);
  row_owner_.reserve(limits.max_step_tokens);
  publish_state();
}

Scheduler::~Scheduler() = default;

std::vector<int> Scheduler::decoder_prompt(const SequenceRequest& r) const {
  if (executor_.model().has_encoder()) return {executor_.model().decoder_start_id()};
  return r.prompt;
}

void Scheduler::check_request(const SequenceRequest& r) const {
  const int vocab = executor_.model().config().vocab_size;
  GS_CHECK(!r.prompt.empty(), "a request has an empty prompt");
  for (int id : r.prompt)
    GS_CHECK(id >= 0 && id < vocab, "token id " << id << " is outside the vocabulary of " << vocab);
  GS_CHECK(r.max_tokens >= 1, "max_tokens must be at least 1, got " << r.max_tokens);
  if (executor_.model().has_encoder())
    GS_CHECK(static_cast<long>(r.prompt.size()) <= limits().capacity,
             "an encoder input of " << r.prompt.size() << " tokens is longer than the " << limits().capacity
                                    << " allowed (runtime.max_seq_len)");
  const long length = static_cast<long>(decoder_prompt(r).size()) + r.max_tokens;
  GS_CHECK(length <= kv_.max_length(), "a prompt of " << r.prompt.size() << " tokens with max_tokens "
                                                      << r.max_tokens << " needs " << length
                                                      << " positions; a sequence holds " << kv_.max_length());
  const long blocks = (length + kv_.block_size() - 1) / kv_.block_size();
  GS_CHECK(blocks <= kv_.usage().total, "a request needs " << blocks << " KV blocks; the cache has "
                                                           << kv_.usage().total);
  r.sampling.validate();
}

long Scheduler::submit(SequenceRequest request) {
  check_request(request);
  auto sequence = std::make_unique<Sequence>();
  sequence->tokens = decoder_prompt(request);
  sequence->generated_from = static_cast<int>(sequence->tokens.size());
  sequence->generator = sequence_generator(request.sampling.seed, request.sampling_stream);
  sequence->outcome.prompt_tokens = static_cast<int>(request.prompt.size());
  sequence->request = std::move(request);
  std::lock_guard lock(mutex_);
  if (closed_) return -1;
  if (options_.max_waiting > 0 &&
      state_.waiting + static_cast<int>(submitted_.size()) >= options_.max_waiting)
    return -1;
  sequence->id = next_id_++;
  const long id = sequence->id;
  submitted_.push_back(std::move(sequence));
  wake_.notify_one();
  return id;
}

void Scheduler::cancel(long id) {
  std::lock_guard lock(mutex_);
  cancelled_.push_back(id);
  wake_.notify_one();
}

SchedulerState Scheduler::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

bool Scheduler::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void Scheduler::publish_state() {
  std::lock_guard lock(mutex_);
  state_.waiting = static_cast<int>(waiting_.size());
  state_.running = static_cast<int>(running_.size());
  state_.blocks = kv_.usage();
}

void Scheduler::take_inbox(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (submitted_.empty() && cancelled_.empty() && waiting_.empty() && running_.empty())
    wake_.wait_for(lock, wait);
  for (SequencePtr& s : submitted_) waiting_.push_back(std::move(s));
  submitted_.clear();
  state_.waiting = static_cast<int>(waiting_.size());
}

void Scheduler::apply_cancellations() {
  std::vector<long> ids;
  {
    std::lock_guard lock(mutex_);
    ids.swap(cancelled_);
  }
  for (long id : ids) {
    auto matches = [id](const SequencePtr& s) { return s->id == id; };
    if (auto w = std::find_if(waiting_.begin(), waiting_.end(), matches); w != waiting_.end()) {
      SequencePtr s = std::move(*w);
      waiting_.erase(w);
      finish(std::move(s), FinishReason::cancelled);
    } else if (auto r = std::find_if(running_.begin(), running_.end(), matches); r != running_.end()) {
      SequencePtr s = std::move(*r);
      running_.erase(r);
      finish(std::move(s), FinishReason::cancelled);
    }
  }
}

void Scheduler::release_slot(Sequence& s) {
  if (s.slot < 0) return;
  kv_.close(s.slot);
  free_slots_.push_back(s.slot);
  s.slot = -1;
  s.computed = 0;
}

void Scheduler::finish(SequencePtr s, FinishReason reason) {
  release_slot(*s);
  s->outcome.finish = reason;
  s->outcome.generated_tokens = static_cast<int>(s->tokens.size()) - s->generated_from;
  if (s->request.on_finish) s->request.on_finish(s->outcome);
}

void Scheduler::preempt_latest() {
  SequencePtr victim = std::move(running_.back());
  running_.pop_back();
  release_slot(*victim);
  {
    std::lock_guard lock(mutex_);
    ++state_.preemptions;
  }
  waiting_.push_front(std::move(victim));
}

void Scheduler::reserve_decode_room() {
  // Every admitted sequence already has room for the tokens it holds but one: the
  // token sampled last step, at position tokens.size() - 1.
  for (std::size_t i = 0; i < running_.size();) {
    Sequence& s = *running_[i];
    if (kv_.grow(s.slot, static_cast<int>(s.tokens.size()))) {
      ++i;
      continue;
    }
    GS_CHECK(running_.size() > 1, "the KV cache cannot hold a single sequence of "
                                      << s.tokens.size() << " positions");
    preempt_latest();  // may be s itself; then the loop ends
  }
}

bool Scheduler::admit(Sequence& s) {
  if (free_slots_.empty()) return false;
  const int slot = free_slots_.back();
  const int shared = kv_.open(slot, s.tokens);
  if (!kv_.grow(slot, static_cast<int>(s.tokens.size()))) {
    kv_.close(slot);
    return false;
  }
  free_slots_.pop_back();
  s.slot = slot;
  s.computed = shared;
  // Encoder-decoder: the prompt is the encoder's input, encoded into the slot at
  // every admission (a preempted sequence's slot may be another's by then).
  if (executor_.model().has_encoder()) executor_.encode(slot, s.request.prompt);
  if (!s.opened) s.outcome.cached_prompt_tokens = shared;
  s.opened = true;
  return true;
}

bool Scheduler::step() {
  reserve_decode_room();
  const int budget = limits().max_step_tokens;
  batch_.clear();
  row_owner_.clear();
  chunks_.clear();
  int prefill_tokens = 0;
  auto add_chunk = [&](Sequence& s) {
    const int n = static_cast<int>(s.tokens.size());
    const int end = std::min(n, s.computed + budget - batch_.size());
    if (end == s.computed) return;
    for (int p = s.computed; p < end; ++p) batch_.add(s.tokens[p], p, s.slot, p == n - 1);
    if (end == n) row_owner_.push_back(&s);
    if (n - s.computed > 1) prefill_tokens += end - s.computed;
    chunks_.push_back({&s, end});
  };
  // Decoding sequences first (one token each), then prompts in admission order.
  for (const SequencePtr& s : running_)
    if (s->tokens.size() - s->computed == 1) add_chunk(*s);
  for (const SequencePtr& s : running_)
    if (s->tokens.size() - s->computed > 1 && batch_.size() < budget) add_chunk(*s);
  while (!waiting_.empty() && batch_.size() < budget && admit(*waiting_.front())) {
    running_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
    add_chunk(*running_.back());
  }
  if (batch_.size() == 0) return false;

  const auto start = Clock::now();
  kv_.attach_tables(batch_);
  // When every sequence of the step samples greedily, only the ids leave the
  // backend (the same tokens: Sampler's temperature 0 is the same argmax).
  const bool greedy = std::all_of(row_owner_.begin(), row_owner_.end(),
                                  [](const Sequence* s) { return s->request.sampling.temperature == 0.0f; });
  std::span<const float> logits;
  std::span<const int> greedy_ids;
  if (greedy) {
    greedy_ids = executor_.run_argmax(batch_);
  } else {
    logits = executor_.run(batch_);
  }
  for (const auto& [s, end] : chunks_) s->computed = end;
  const int vocab = executor_.model().config().vocab_size;
  std::vector<Sequence*> finished;
  for (std::size_t row = 0; row < row_owner_.size(); ++row) {
    Sequence& s = *row_owner_[row];
    const int token = greedy ? greedy_ids[row]
                             : sampler_.sample(s.request.sampling, s.generator, logits.subspan(row * vocab, vocab));
    if (accept(s, token)) finished.push_back(&s);
  }
  if (options_.prefix_caching)
    for (const SequencePtr& s : running_)
      kv_.computed(s->slot, std::span(s->tokens).first(s->computed));
  for (Sequence* done : finished) {
    auto it = std::find_if(running_.begin(), running_.end(), [done](const SequencePtr& s) { return s.get() == done; });
    SequencePtr s = std::move(*it);
    running_.erase(it);
    const FinishReason reason = s->outcome.finish;
    finish(std::move(s), reason);
  }
  if (on_step_)
    on_step_({prefill_tokens, batch_.size() - prefill_tokens,
              std::chrono::duration<double>(Clock::now() - start).count()});
  return true;
}

bool Scheduler::accept(Sequence& s, int token) {
  const bool stop_token = std::find(stop_ids_.begin(), stop_ids_.end(), token) != stop_ids_.end();
  if (stop_token && !s.request.ignore_eos) {
    s.outcome.finish = FinishReason::eos;
    return true;
  }
  s.tokens.push_back(token);
  if (s.request.on_token && !s.request.on_token(token)) {
    s.outcome.finish = FinishReason::stop;
    return true;
  }
  if (static_cast<int>(s.tokens.size()) - s.generated_from >= s.request.max_tokens) {
    s.outcome.finish = FinishReason::length;
    return true;
  }
  return false;
}

void Scheduler::run_until_idle() {
  for (;;) {
    take_inbox(std::chrono::milliseconds(0));
    apply_cancellations();
    if (waiting_.empty() && running_.empty()) return;
    GS_CHECK(step(), "the scheduler could not admit a waiting request into an empty KV cache");
    publish_state();
  }
}

void Scheduler::run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    take_inbox(std::chrono::milliseconds(50));
    apply_cancellations();
    if (!waiting_.empty() || !running_.empty())
      GS_CHECK(step(), "the scheduler could not admit a waiting request into an empty KV cache");
    publish_state();
  }
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (SequencePtr& s : submitted_) waiting_.push_back(std::move(s));
    submitted_.clear();
  }
  while (!running_.empty()) {
    SequencePtr s = std::move(running_.back());
    running_.pop_back();
    finish(std::move(s), FinishReason::cancelled);
  }
  while (!waiting_.empty()) {
    SequencePtr s = std::move(waiting_.front());
    waiting_.pop_front();
    finish(std::move(s), FinishReason::cancelled);
  }
  publish_state();
}

}  // namespace gs
