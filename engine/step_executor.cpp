#include "engine/step_executor.h"

#include <algorithm>

#include "common/check.h"

namespace gs {

namespace {
enum Command : int { kStep = 1, kStop = 2 };

std::span<std::byte> bytes_of(std::vector<int>& v, std::size_t count) {
  return std::as_writable_bytes(std::span(v.data(), count));
}
}  // namespace

StepExecutor::StepExecutor(LlamaModel& model, ControlChannel& comm)
    : model_(model), comm_(comm), header_(3), payload_(4 * model.limits().max_step_tokens) {
  const std::size_t T = model.limits().max_step_tokens;
  received_.tokens.reserve(T);
  received_.positions.reserve(T);
  received_.slots.reserve(T);
  received_.logit_rows.reserve(T);
}

void StepExecutor::send_header(int command, int n_tokens, int n_logit_rows) {
  header_ = {command, n_tokens, n_logit_rows};
  comm_.broadcast(bytes_of(header_, 3), 0);
}

std::span<const float> StepExecutor::run(const StepBatch& batch) {
  GS_CHECK(comm_.rank() == 0, "only rank 0 schedules steps");
  const int n = batch.size(), rows = static_cast<int>(batch.logit_rows.size());
  GS_CHECK(n >= 1 && n <= model_.limits().max_step_tokens,
           "a step of " << n << " tokens exceeds the limit of " << model_.limits().max_step_tokens);
  if (comm_.size() > 1) {
    send_header(kStep, n, rows);
    auto out = payload_.begin();
    out = std::copy(batch.tokens.begin(), batch.tokens.end(), out);
    out = std::copy(batch.positions.begin(), batch.positions.end(), out);
    out = std::copy(batch.slots.begin(), batch.slots.end(), out);
    std::copy(batch.logit_rows.begin(), batch.logit_rows.end(), out);
    comm_.broadcast(bytes_of(payload_, 3 * n + rows), 0);
  }
  return model_.forward(batch);
}

void StepExecutor::stop() {
  if (comm_.rank() == 0 && comm_.size() > 1) send_header(kStop, 0, 0);
}

void StepExecutor::serve() {
  GS_CHECK(comm_.rank() != 0, "rank 0 schedules steps; it does not serve them");
  for (;;) {
    comm_.broadcast(bytes_of(header_, 3), 0);
    if (header_[0] == kStop) return;
    const int n = header_[1], rows = header_[2];
    GS_CHECK(header_[0] == kStep && n >= 1 && n <= model_.limits().max_step_tokens && rows >= 0 &&
                 rows <= n,
             "malformed step header from rank 0");
    comm_.broadcast(bytes_of(payload_, 3 * n + rows), 0);
    auto in = payload_.begin();
    received_.tokens.assign(in, in + n);
    received_.positions.assign(in + n, in + 2 * n);
    received_.slots.assign(in + 2 * n, in + 3 * n);
    received_.logit_rows.assign(in + 3 * n, in + 3 * n + rows);
    model_.forward(received_);
  }
}

}  // namespace gs
