// Loading one rank's part of a T5 model for the subcommands (generate, eval),
// the T5 family's counterpart of load_rank_slice + build_rank_model.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "engine/t5/t5_checkpoint.h"
#include "engine/t5/t5_model.h"
#include "engine/tokenizer/tokenizer.h"
#include "launch/run_config.h"
#include "parallel/control_channel.h"
#include "parallel/tensor_channel.h"
#include "parallel/timed_tensor_channel.h"

namespace gs {

struct T5RankModel {
  std::unique_ptr<TensorChannel> channel;
  std::unique_ptr<TimedTensorChannel> timed;  // wraps channel; the model's channel
  std::unique_ptr<T5Model> model;
};

// Every rank: makes its backend and copies its slices of both stacks out of the
// checkpoint (one verdict for all ranks), then opens the tensor channel and builds
// the model (another).
T5RankModel load_t5_rank_model(ControlChannel& control, const RunConfig& config, const T5Checkpoint& checkpoint,
                               const ModelLimits& limits);

// model.tokenizer, or spiece.model beside the model. Throws naming the path when
// there is none (a text prompt needs it).
std::unique_ptr<Tokenizer> open_t5_tokenizer(const RunConfig& config, int vocab_size);

// The encoder input of a text prompt as T5 makes it: SentencePiece pieces, EOS appended.
std::vector<int> t5_encode_prompt(const Tokenizer& tokenizer, const std::string& text, int eos_id);

// A generated id's text; ids past the SentencePiece vocabulary are T5's sentinels
// (<extra_id_N>, counted down from the top as Hugging Face names them) or empty.
std::string t5_token_text(const Tokenizer& tokenizer, int previous, int id);

}  // namespace gs
