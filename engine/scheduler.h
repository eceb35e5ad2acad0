// Scheduler: rank 0's continuous batching (Orca's iteration-level scheduling) over
// the paged KV cache's accounting (KvBlocks).
//
// Between two steps finished sequences leave and waiting ones join. A step holds one
// token of every decoding sequence and, in the room left under max_step_tokens,
// chunks of the prompts being prefilled, so a long prompt never stalls the others for
// its whole prefill. A sequence is admitted, first come first served, when a KV slot
// is free and the cache has blocks for its prompt; with prefix caching its prefill
// starts after the blocks it shares with an earlier identical prefix. When a decoding
// sequence needs a block and none is free, the most recently admitted sequence is
// preempted: its blocks are freed and it waits again at the front, to prefill its
// prompt and the tokens it has generated so far (recompute) and then continue — with
// the same tokens, as its sampler's generator is its own and is kept. For an
// encoder-decoder model a request's prompt is the encoder's input, encoded into the
// sequence's slot when it is admitted; its decoder starts from the start token.
//
// submit() and cancel() may be called from any thread; run() and run_until_idle() on
// the thread that owns the StepExecutor (rank 0's main thread). The callbacks of a
// request run on that thread too, between steps.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/kv_blocks.h"
#include "engine/sampler.h"
#include "engine/step_executor.h"

namespace gs {

// eos: a stop token; length: max_tokens; stop: the request's on_token said so (a stop
// string); cancelled: cancel() or shutdown.
enum class FinishReason { eos, length, stop, cancelled };
std::string finish_reason_name(FinishReason reason);

struct SequenceOutcome {
  FinishReason finish = FinishReason::length;
  int prompt_tokens = 0;
  int generated_tokens = 0;
  int cached_prompt_tokens = 0;  // prompt positions first taken from the prefix cache
};

struct SequenceRequest {
  std::vector<int> prompt;  // non-empty, ids within the vocabulary
  int max_tokens = 128;     // generated tokens at most (prompt + max_tokens fit a sequence)
  bool ignore_eos = false;  // keep going through the stop tokens
  SamplingParams sampling;  // valid
  int sampling_stream = 0;  // seeds the sequence's generator with sampling.seed
  // Each generated token as it comes; returning false ends the sequence (FinishReason::stop).
  std::function<bool(int token)> on_token;
  // Once, when the sequence ends, however it ends.
  std::function<void(const SequenceOutcome&)> on_finish;
};

// The KV pool (blocks, block size, sequences) is the model's: ModelLimits.
struct SchedulerOptions {
  bool prefix_caching = false;  // share full blocks of identical prompt prefixes
  int max_waiting = 0;          // requests waiting for admission at most (0 = no limit)
};

// What a step ran, for metrics.
struct StepRecord {
  int prefill_tokens = 0;
  int decode_tokens = 0;
  double seconds = 0.0;
};

// A snapshot, readable from any thread.
struct SchedulerState {
  int waiting = 0;
  int running = 0;
  long preemptions = 0;
  KvBlockUsage blocks;
};

class Scheduler {
 public:
  // stop_ids: tokens that end a sequence (the model's EOS ids and BOS).
  Scheduler(StepExecutor& executor, std::vector<int> stop_ids, const SchedulerOptions& options);
  ~Scheduler();

  // Any thread. Queues the request and returns its id; -1 when max_waiting requests
  // are waiting already or run() has ended. Throws gs::Error when the request could
  // never run (see check_request).
  long submit(SequenceRequest request);
  // Any thread. Ends the request with FinishReason::cancelled and frees its blocks
  // before the next step; nothing when it has ended already.
  void cancel(long id);

  // Runs steps until no request is waiting or running.
  void run_until_idle();
  // Runs steps as requests come until `stop` is set, then cancels the requests left
  // and refuses new ones.
  void run(const std::atomic<bool>& stop);

  // Called after every step with what it ran (set before running).
  void set_step_observer(std::function<void(const StepRecord&)> observer) { on_step_ = std::move(observer); }
  SchedulerState state() const;
  // run() has ended: submit() refuses everything.
  bool closed() const;
  const ModelLimits& limits() const { return executor_.model().limits(); }
  // Positions one sequence may hold: prompt + max_tokens must fit.
  int max_sequence_length() const { return kv_.max_length(); }

 private:
  struct Sequence {
    long id = 0;
    SequenceRequest request;
    std::vector<int> tokens;  // the decoder's prompt, then the generated tokens
    int generated_from = 0;   // tokens before the generated ones
    int computed = 0;         // leading positions of tokens whose KV is in the cache
    int slot = -1;            // KV slot while admitted
    std::mt19937_64 generator;
    SequenceOutcome outcome;
    bool opened = false;      // admitted at least once (cached_prompt_tokens recorded)
  };
  using SequencePtr = std::unique_ptr<Sequence>;

  // The decoder's first tokens: the prompt, or an encoder-decoder model's start token
  // (its prompt is the encoder's input).
  std::vector<int> decoder_prompt(const SequenceRequest& request) const;
  // Throws unless the request fits the model and the cache.
  void check_request(const SequenceRequest& request) const;
  // Moves submitted requests and cancellations in; waits up to `wait` when idle.
  void take_inbox(std::chrono::milliseconds wait);
  void apply_cancellations();
  // Gives every decoding sequence room for its next token, preempting when needed.
  void reserve_decode_room();
  void preempt_latest();
  bool admit(Sequence& sequence);
  // Builds and runs one step, then samples; false when there was nothing to run.
  bool step();
  // Records a sampled token; true when the sequence is finished.
  bool accept(Sequence& sequence, int token);
  void finish(SequencePtr sequence, FinishReason reason);
  void release_slot(Sequence& sequence);
  void publish_state();

  StepExecutor& executor_;
  std::vector<int> stop_ids_;
  SchedulerOptions options_;
  KvBlocks kv_;
  Sampler sampler_;
  StepBatch batch_;
  std::vector<Sequence*> row_owner_;  // per logit row of the step: its sequence
  std::vector<std::pair<Sequence*, int>> chunks_;  // per sequence in the step: positions computed after it
  std::vector<int> free_slots_;
  std::deque<SequencePtr> waiting_;
  std::vector<SequencePtr> running_;  // in admission order
  std::function<void(const StepRecord&)> on_step_;

  // Shared with the submitting threads.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<SequencePtr> submitted_;
  std::vector<long> cancelled_;
  long next_id_ = 0;
  bool closed_ = false;
  SchedulerState state_;
};

}  // namespace gs
