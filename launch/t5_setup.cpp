#include "launch/t5_setup.h"

#include "common/check.h"
#include "launch/collective_phase.h"
#include "launch/model_setup.h"

namespace gs {

T5RankModel load_t5_rank_model(ControlChannel& control, const RunConfig& config, const T5Checkpoint& checkpoint,
                               const ModelLimits& limits) {
  const ShardStrategy strategy = strategy_from_name(config.parallel.strategy);
  std::optional<ShardPlan> encoder, decoder;
  std::unique_ptr<kernels::Backend> backend;
  T5Weights weights;
  run_collective_phase(control, [&] {
    GS_CHECK(config.runtime.collective_timeout_s > 0,
             "runtime.collective_timeout_s must be positive, got " << config.runtime.collective_timeout_s);
    encoder = t5_encoder_plan(checkpoint.config(), control.size(), strategy);
    decoder = t5_decoder_plan(checkpoint.config(), control.size(), strategy);
    backend = kernels::make_backend(backend_from_name(config.runtime.backend),
                                    t5_backend_limits(*encoder, *decoder, control.rank(), limits),
                                    backend_options(config.runtime));
    weights = T5Weights::load(checkpoint, *encoder, *decoder, control.rank(), *backend,
                              weight_type_from_name(config.runtime.weight_dtype));
  });
  T5RankModel m;
  run_collective_phase(control, [&] {
    m.channel = open_tensor_channel(config, control, *backend);
    m.timed = std::make_unique<TimedTensorChannel>(*m.channel);
    m.model = std::make_unique<T5Model>(checkpoint.config(), *encoder, *decoder, *m.timed, std::move(backend),
                                        std::move(weights), limits);
  });
  return m;
}

std::unique_ptr<Tokenizer> open_t5_tokenizer(const RunConfig& config, int vocab_size) {
  std::filesystem::path path = config.model.tokenizer;
  if (path.empty()) path = std::filesystem::path(config.model.path) / "spiece.model";
  GS_CHECK(std::filesystem::is_regular_file(path),
           "no SentencePiece model " << path.string() << " for this T5 checkpoint: a text prompt needs it "
                                     << "(pass --tokenizer PATH, or --prompt-ids)");
  std::unique_ptr<Tokenizer> tokenizer = open_tokenizer(path);
  GS_CHECK(tokenizer->vocab_size() <= vocab_size, "the tokenizer " << path.string() << " has " << tokenizer->vocab_size()
                                                                   << " tokens but the model only " << vocab_size);
  return tokenizer;
}

std::vector<int> t5_encode_prompt(const Tokenizer& tokenizer, const std::string& text, int eos_id) {
  std::vector<int> ids = tokenizer.encode(text, false);
  ids.push_back(eos_id);
  return ids;
}

std::string t5_token_text(const Tokenizer& tokenizer, int previous, int id) {
  const int n = tokenizer.vocab_size();
  if (id < n) return tokenizer.decode(previous, id);
  const int sentinel = n + 99 - id;
  return sentinel >= 0 ? "<extra_id_" + std::to_string(sentinel) + ">" : "";
}

}  // namespace gs
