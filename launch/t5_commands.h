// The T5 family's runs of the subcommands; each generic command hands over to
// these when model_family_of() says the checkpoint is T5.
#pragma once

#include "launch/bench_command.h"
#include "launch/eval_command.h"
#include "launch/generate_command.h"
#include "parallel/control_channel.h"

namespace gs {

// `generate`: --prompt is the encoder input (SentencePiece, EOS appended);
// decoding starts from decoder_start_token_id.
int run_t5_generate(const GenerateOptions& options, ControlChannel& comm);

// `eval`: --text is a JSONL file of {"input": ..., "target": ...} pairs; reports the
// teacher-forced target NLL and perplexity.
int run_t5_eval(const EvalOptions& options, ControlChannel& comm);

// `bench --random-model t5:h=..,g=..,d=..,enc_layers=..,dec_layers=..,ffn=..,vocab=..`:
// decoder step times and each rank's cross-attention KV bytes per step.
int run_t5_bench(const BenchOptions& options, ControlChannel& comm);

}  // namespace gs
