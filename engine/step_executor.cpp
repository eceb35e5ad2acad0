#include "engine/step_executor.h"

#include <algorithm>

#include "common/check.h"

namespace gs {

namespace {
enum Command : int { kStep = 1, kStop = 2, kEncode = 3 };
constexpr int kHeaderInts = 5;

std::span<std::byte> bytes_of(std::vector<int>& v, std::size_t count) {
  return std::as_writable_bytes(std::span(v.data(), count));
}
}  // namespace

StepExecutor::StepExecutor(Model& model, ControlChannel& comm)
    : model_(model),
      comm_(comm),
      header_(kHeaderInts),
      payload_(4 * model.limits().max_step_tokens +
               model.limits().slots * (1 + model.limits().table_width())) {
  const std::size_t T = model.limits().max_step_tokens;
  received_.tokens.reserve(T);
  received_.positions.reserve(T);
  received_.slots.reserve(T);
  received_.logit_rows.reserve(T);
  received_.table_slots.reserve(model.limits().slots);
  received_.tables.reserve(static_cast<std::size_t>(model.limits().slots) * model.limits().table_width());
  if (model.has_encoder()) encoder_tokens_.resize(model.limits().capacity);
}

void StepExecutor::send_header(int command, int a, int b, int c, int d) {
  header_ = {command, a, b, c, d};
  comm_.await_broadcast(bytes_of(header_, kHeaderInts), 0);
}

void StepExecutor::encode(int slot, std::span<const int> tokens) {
  GS_CHECK(comm_.rank() == 0, "only rank 0 schedules steps");
  const int n = static_cast<int>(tokens.size());
  GS_CHECK(model_.has_encoder(), "this model has no encoder");
  GS_CHECK(n >= 1 && n <= model_.limits().capacity,
           "the encoder input has " << n << " tokens; this run allows 1.." << model_.limits().capacity);
  if (comm_.size() > 1) {
    send_header(kEncode, n, slot);
    std::copy(tokens.begin(), tokens.end(), encoder_tokens_.begin());
    comm_.broadcast(bytes_of(encoder_tokens_, n), 0);
  }
  model_.encode(slot, tokens);
}

std::span<const float> StepExecutor::run(const StepBatch& batch) {
  send_step(batch);
  return model_.forward(batch);
}

std::span<const int> StepExecutor::run_argmax(const StepBatch& batch) {
  send_step(batch);
  return model_.forward_argmax(batch);
}

void StepExecutor::send_step(const StepBatch& batch) {
  GS_CHECK(comm_.rank() == 0, "only rank 0 schedules steps");
  const int n = batch.size(), rows = static_cast<int>(batch.logit_rows.size());
  const ModelLimits& limits = model_.limits();
  const int n_tables = static_cast<int>(batch.table_slots.size()), width = batch.table_width;
  GS_CHECK(n >= 1 && n <= limits.max_step_tokens,
           "a step of " << n << " tokens exceeds the limit of " << limits.max_step_tokens);
  GS_CHECK(n_tables <= limits.slots && width <= limits.table_width() &&
               batch.tables.size() == static_cast<std::size_t>(n_tables) * width,
           "a step's block tables (" << n_tables << " rows of " << width << ") do not fit "
                                     << limits.slots << " sequences of " << limits.table_width() << " blocks");
  if (comm_.size() > 1) {
    send_header(kStep, n, rows, n_tables, width);
    auto out = payload_.begin();
    out = std::copy(batch.tokens.begin(), batch.tokens.end(), out);
    out = std::copy(batch.positions.begin(), batch.positions.end(), out);
    out = std::copy(batch.slots.begin(), batch.slots.end(), out);
    out = std::copy(batch.logit_rows.begin(), batch.logit_rows.end(), out);
    out = std::copy(batch.table_slots.begin(), batch.table_slots.end(), out);
    out = std::copy(batch.tables.begin(), batch.tables.end(), out);
    comm_.broadcast(bytes_of(payload_, out - payload_.begin()), 0);
  }
}

void StepExecutor::stop() {
  if (comm_.rank() == 0 && comm_.size() > 1) send_header(kStop, 0, 0);
}

void StepExecutor::serve() {
  GS_CHECK(comm_.rank() != 0, "rank 0 schedules steps; it does not serve them");
  const ModelLimits& limits = model_.limits();
  for (;;) {
    // Between steps (a server without requests) this rank may wait long.
    comm_.await_broadcast(bytes_of(header_, kHeaderInts), 0);
    if (header_[0] == kStop) return;
    if (header_[0] == kEncode) {
      const int n = header_[1];
      GS_CHECK(model_.has_encoder() && n >= 1 && n <= static_cast<int>(encoder_tokens_.size()),
               "malformed encode header from rank 0");
      comm_.broadcast(bytes_of(encoder_tokens_, n), 0);
      model_.encode(header_[2], std::span<const int>(encoder_tokens_.data(), n));
      continue;
    }
    const int n = header_[1], rows = header_[2], n_tables = header_[3], width = header_[4];
    GS_CHECK(header_[0] == kStep && n >= 1 && n <= limits.max_step_tokens && rows >= 0 && rows <= n &&
                 n_tables >= 0 && n_tables <= limits.slots && width >= 0 && width <= limits.table_width(),
             "malformed step header from rank 0");
    const int count = 3 * n + rows + n_tables * (1 + width);
    comm_.broadcast(bytes_of(payload_, count), 0);
    auto in = payload_.begin();
    auto take = [&in](std::vector<int>& into, int k) {
      into.assign(in, in + k);
      in += k;
    };
    take(received_.tokens, n);
    take(received_.positions, n);
    take(received_.slots, n);
    take(received_.logit_rows, rows);
    take(received_.table_slots, n_tables);
    take(received_.tables, n_tables * width);
    received_.table_width = width;
    model_.forward(received_);
  }
}

}  // namespace gs
