// StepExecutor: rank 0 schedules steps; every other rank runs what it is sent.
//
// Rank 0 calls run() for each step and stop() at the end; ranks != 0 sit in
// serve() until stop(). Each step costs two broadcasts (a header, then the ids and
// block tables), into buffers sized once, so the decode loop does not allocate.
#pragma once

#include <span>
#include <vector>

#include "engine/llama_model.h"
#include "engine/step_batch.h"
#include "parallel/control_channel.h"

namespace gs {

class StepExecutor {
 public:
  StepExecutor(LlamaModel& model, ControlChannel& comm);

  LlamaModel& model() { return model_; }
  // Rank 0: sends the batch to the other ranks, runs it, returns its logits
  // (n_logit_rows, vocab).
  std::span<const float> run(const StepBatch& batch);
  // Rank 0: releases the other ranks from serve().
  void stop();
  // Ranks != 0: runs steps until rank 0 calls stop().
  void serve();

 private:
  void send_header(int command, int n_tokens, int n_logit_rows, int n_tables, int table_width);

  LlamaModel& model_;
  ControlChannel& comm_;
  std::vector<int> header_;   // command, tokens, logit rows, block tables, table width
  std::vector<int> payload_;  // the step's ints: tokens, positions, slots, logit rows, tables
  StepBatch received_;
};

}  // namespace gs
