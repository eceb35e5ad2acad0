// `groupshard convert`: the GQA paper's checkpoint conversion. Reads any
// checkpoint the engine loads and writes a Hugging Face directory with
// --kv-groups K/V heads (pooled, kept or re-initialised), plus its tokenizer.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "launch/subcommand.h"
#include "parallel/control_channel.h"

namespace gs {

struct ConvertOptions {
  std::string model;
  std::string out;
  int kv_groups = 0;
  std::string method;         // mean | first | random
  std::uint64_t seed = 0;     // for random
  std::string dtype = "f32";  // f32 | f16 | bf16
  std::string tokenizer;      // empty: tokenizer.model / tokenizer.bin beside the model
  bool force = false;         // replace the checkpoint files of an existing --out
};

Subcommand add_convert_command(CLI::App& app, ConvertOptions& options);
int run_convert(const ConvertOptions& options, ControlChannel& comm);

}  // namespace gs
