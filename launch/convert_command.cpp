#include "launch/convert_command.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "engine/checkpoint/weight_source.h"
#include "engine/convert/checkpoint_conversion.h"
#include "engine/convert/staged_directory.h"
#include "engine/model_family.h"
#include "engine/t5/t5_conversion.h"
#include "engine/tokenizer/sentencepiece_tokenizer.h"
#include "common/check.h"
#include "launch/collective_phase.h"
#include "launch/model_setup.h"
#include "launch/progress.h"

namespace gs {

namespace fs = std::filesystem;

namespace {

// What a converted directory holds: --force replaces all of them, so that no
// file of an earlier checkpoint there (a stale index, the other tokenizer
// format) is read with the new one, and keeps any other file.
constexpr const char* kCheckpointFiles[] = {"config.json", "model.safetensors",
                                            "model.safetensors.index.json", "tokenizer.model",
                                            "tokenizer.bin"};

std::string kv_groups_text(int groups) {
  return std::to_string(groups) + (groups == 1 ? " KV group" : " KV groups");
}

fs::path folder_of(const fs::path& path) {
  if (fs::is_directory(path)) return path;
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// The tokenizer to copy (checked to open and to fit the model) and the name the
// engine looks for beside a model; nullopt if there is none.
struct TokenizerCopy {
  fs::path from;
  std::string name;
};
std::optional<TokenizerCopy> find_tokenizer(const ConvertOptions& o, int model_vocab) {
  RunConfig config;
  config.model.path = o.model;
  config.model.tokenizer = o.tokenizer;
  const std::string path = find_tokenizer_path(config);
  if (path.empty()) return std::nullopt;
  const std::unique_ptr<Tokenizer> tokenizer = open_tokenizer(path);
  GS_CHECK(tokenizer->vocab_size() <= model_vocab,
           "the tokenizer " << path << " has " << tokenizer->vocab_size()
                            << " tokens but the model only " << model_vocab);
  const bool sentencepiece = dynamic_cast<const SentencePieceTokenizer*>(tokenizer.get());
  return TokenizerCopy{path, sentencepiece ? "tokenizer.model" : "tokenizer.bin"};
}

// Checks --out may be replaced; the conversion itself is written beside it.
void check_output(const ConvertOptions& o, const std::optional<TokenizerCopy>& tokenizer) {
  const fs::path out = o.out;
  std::error_code error;
  if (!fs::exists(out)) return;
  GS_CHECK(o.force, out.string() << ": already exists; pass --force to replace the checkpoint "
                                    "files in it, or choose another --out");
  GS_CHECK(fs::is_directory(out), out.string() << ": exists and is not a directory");
  std::vector<fs::path> inputs = {folder_of(o.model)};
  if (tokenizer) inputs.push_back(folder_of(tokenizer->from));
  for (const fs::path& input : inputs) {
    GS_CHECK(!fs::equivalent(out, input, error),
             "--out " << out.string() << " is the folder the input " << input.string()
                      << " is read from; write the converted checkpoint elsewhere");
  }
}

// T5: the decoder's self- and cross-attention K/V regrouped, the encoder and all
// else copied (engine/t5/t5_conversion.h). Rank 0 alone; returns the summary line.
std::string convert_t5(const ConvertOptions& o) {
  T5ConversionSpec spec;
  spec.kv_groups = o.kv_groups;
  spec.init = kv_init_from_name(o.method);
  spec.seed = o.seed;
  spec.dtype = dtype_from_name(o.dtype, kDTypes, "--dtype");
  GS_CHECK(o.tokenizer.empty(), "--tokenizer does not apply to a T5 checkpoint: its spiece.model is copied");
  const T5Config from = T5Checkpoint(o.model).config();
  check_t5_conversion(from, spec);
  check_output(o, std::nullopt);
  std::signal(SIGXFSZ, SIG_IGN);
  const bool replacing = fs::exists(o.out);
  constexpr const char* kT5Files[] = {"config.json", "model.safetensors", "model.safetensors.index.json",
                                      "spiece.model"};
  try {
    StagedDirectory staged(o.out);
    convert_t5_checkpoint(o.model, spec, staged.path());
    staged.commit(kT5Files);
  } catch (const Error& e) {
    GS_FAIL("cannot write " << o.out << ": " << e.what() << "; "
                            << (replacing ? "the previous " + o.out + " is unchanged" : "nothing was written"));
  }
  return "converted T5 " + o.model + " (" + std::to_string(from.n_heads) + " query heads, decoder " +
         kv_groups_text(from.n_kv_heads) + ") to " + o.out + " (decoder self- and cross-attention " +
         kv_groups_text(spec.kv_groups) + ", " + kv_init_name(spec.init) + ", " + o.dtype + "; encoder unchanged)";
}

// Runs on rank 0 alone; returns the summary line for stdout.
std::string convert(const ConvertOptions& o) {
  if (model_family_of(o.model) == ModelFamily::t5) return convert_t5(o);
  ConversionSpec spec;
  spec.kv_groups = o.kv_groups;
  spec.init = kv_init_from_name(o.method);
  spec.seed = o.seed;
  spec.dtype = dtype_from_name(o.dtype, kDTypes, "--dtype");
  // Everything that can be checked is checked before --out is touched.
  const std::unique_ptr<WeightSource> source = open_checkpoint(o.model);
  const ModelConfig& from = source->config();
  converted_config(from, spec.kv_groups);
  const std::optional<TokenizerCopy> tokenizer = find_tokenizer(o, from.vocab_size);
  check_output(o, tokenizer);

  // A file-size limit must fail the write with EFBIG, reported below, rather
  // than kill the process with SIGXFSZ and no message.
  std::signal(SIGXFSZ, SIG_IGN);
  const bool replacing = fs::exists(o.out);
  try {
    StagedDirectory staged(o.out);
    std::optional<Progress> progress;
    convert_checkpoint(*source, spec, staged.path(), [&](std::uint64_t done, std::uint64_t total) {
      if (!progress) progress.emplace(total, ProgressOptions("convert"));
      progress->update(done);
    });
    progress->finish();
    if (tokenizer) {
      std::error_code error;
      fs::copy_file(tokenizer->from, staged.path() / tokenizer->name, error);
      GS_CHECK(!error, "cannot copy the tokenizer " << tokenizer->from.string() << " into "
                                                    << o.out << ": " << error.message());
    }
    staged.commit(kCheckpointFiles);
  } catch (const Error& e) {
    GS_FAIL("cannot write " << o.out << ": " << e.what() << "; "
                            << (replacing ? "the previous " + o.out + " is unchanged" : "nothing was written"));
  }

  if (!tokenizer)
    std::fprintf(stderr, "groupshard convert: no tokenizer beside %s and no --tokenizer: %s has "
                 "none (pass --tokenizer to generate from text)\n", o.model.c_str(), o.out.c_str());
  std::string summary = "converted " + o.model + " (" + std::to_string(from.n_heads) +
                        " query heads, " + kv_groups_text(from.n_kv_heads) + ") to " + o.out +
                        " (" + kv_groups_text(spec.kv_groups) + ", " + kv_init_name(spec.init) +
                        ", " + o.dtype + ")";
  if (tokenizer) summary += " with " + tokenizer->name + " from " + tokenizer->from.string();
  return summary;
}

}  // namespace

Subcommand add_convert_command(CLI::App& app, ConvertOptions& o) {
  CLI::App* cmd = app.add_subcommand("convert", "MHA/GQA checkpoint to GQA-G (the GQA paper's conversion)");
  cmd->add_option("--model", o.model, "llama2.c .bin file or Hugging Face directory to read")->required();
  cmd->add_option("--out", o.out, "Hugging Face directory to write")->required();
  cmd->add_option("--kv-groups", o.kv_groups, "KV groups G of the output (divides the query heads)")
      ->required();
  cmd->add_option("--method", o.method,
                  "new K/V heads: mean (of the group's heads), first (head of the group), random")
      ->required();
  cmd->add_option("--seed", o.seed, "seed for --method random (default 0)");
  cmd->add_option("--dtype", o.dtype, "f32 (default), f16 or bf16");
  cmd->add_option("--tokenizer", o.tokenizer, "tokenizer to copy (default: beside the model)");
  cmd->add_flag("--force", o.force, "replace the checkpoint files of an existing --out");
  return {cmd, [&o](ControlChannel& comm) { return run_convert(o, comm); }};
}

int run_convert(const ConvertOptions& o, ControlChannel& comm) {
  // Converting is file I/O on one machine: rank 0 does it while any other ranks
  // wait for its verdict, so every rank ends, with one message, either way.
  std::string summary;
  run_collective_phase(comm, [&] {
    if (comm.rank() == 0) summary = convert(o);
  });
  if (comm.rank() == 0) std::printf("%s\n", summary.c_str());
  return 0;
}

}  // namespace gs
