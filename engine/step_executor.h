// StepExecutor: rank 0 schedules steps; every other rank runs what it is sent.
//
// Rank 0 calls run() for each step and stop() at the end; ranks != 0 sit in
// serve() until stop(). Each step costs two broadcasts (a header, then the ids and
// block tables), into buffers sized once, so the decode loop does not allocate.
#pragma once

#include <span>
#include <vector>

#include "engine/model.h"
#include "engine/step_batch.h"
#include "parallel/control_channel.h"

namespace gs {

class StepExecutor {
 public:
  StepExecutor(Model& model, ControlChannel& comm);

  Model& model() { return model_; }
  // Rank 0: sends the batch to the other ranks, runs it, returns its logits
  // (n_logit_rows, vocab).
  std::span<const float> run(const StepBatch& batch);
  // Rank 0: the same, returning the greedy id of each logit row (Model::forward_argmax:
  // on a device backend only the ids leave the GPU). The other ranks do the same work
  // either way.
  std::span<const int> run_argmax(const StepBatch& batch);
  // Rank 0, encoder-decoder models: sends `tokens` to the other ranks and encodes
  // them into `slot` on every rank (Model::encode).
  void encode(int slot, std::span<const int> tokens);
  // Rank 0: releases the other ranks from serve().
  void stop();
  // Ranks != 0: runs steps until rank 0 calls stop().
  void serve();

 private:
  // Step: command, tokens, logit rows, block tables, table width. Encode: command,
  // tokens, slot.
  void send_header(int command, int a, int b, int c = 0, int d = 0);
  // Rank 0: checks the step and sends it to the other ranks.
  void send_step(const StepBatch& batch);

  Model& model_;
  ControlChannel& comm_;
  std::vector<int> header_;
  std::vector<int> payload_;  // the step's ints: tokens, positions, slots, logit rows, tables
  StepBatch received_;
  std::vector<int> encoder_tokens_;  // (capacity): an encode command's input
};

}  // namespace gs
