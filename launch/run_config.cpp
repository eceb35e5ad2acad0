#include "launch/run_config.h"

#include <functional>
#include <map>
#include <sstream>
#include <type_traits>

#include <yaml-cpp/yaml.h>

#include "common/check.h"

namespace gs {

namespace {

// Stores one YAML scalar into a RunConfig field; `expected` names the type for errors.
struct Setter {
  std::function<void(const YAML::Node&)> store;
  const char* expected;
};

template <typename T>
const char* expected_type() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_integral_v<T>) return "an integer";
  if constexpr (std::is_floating_point_v<T>) return "a number";
  return "a string";
}

template <typename T>
Setter set(T& field) {
  return {[&field](const YAML::Node& node) { field = node.as<T>(); }, expected_type<T>()};
}

Setter set_path(std::string& field, const std::filesystem::path& base) {
  return {[&field, base](const YAML::Node& node) {
            const std::filesystem::path value = node.as<std::string>();
            field = value.is_absolute() ? value.string() : (base / value).lexically_normal().string();
          },
          "a path"};
}

std::string where(const std::filesystem::path& file, const YAML::Node& node) {
  return file.string() + ":" + std::to_string(node.Mark().line + 1);
}

// A mapping key as text: YAML also allows lists and mappings as keys ("? [a, b]").
std::string key_name(const std::filesystem::path& file, const YAML::Node& key, const char* what) {
  GS_CHECK(key.IsScalar(), where(file, key) << ": " << what << " must be a name, got '" << YAML::Dump(key) << "'");
  return key.Scalar();
}

}  // namespace

void load_run_config(const std::filesystem::path& file, RunConfig& config) {
  GS_CHECK(std::filesystem::is_regular_file(file), "config file " << file.string() << " does not exist");
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::Exception& e) {
    GS_FAIL(file.string() << ": not valid YAML: " << e.what());
  }
  if (root.IsNull()) return;
  GS_CHECK(root.IsMap(), file.string() << ": expected sections model, parallel, runtime, sampling, server");

  const std::filesystem::path base = file.parent_path();
  const std::map<std::string, std::map<std::string, Setter>> sections = {
      {"model",
       {{"path", set_path(config.model.path, base)},
        {"tokenizer", set_path(config.model.tokenizer, base)}}},
      {"parallel", {{"strategy", set(config.parallel.strategy)}, {"collectives", set(config.parallel.collectives)}}},
      {"runtime",
       {{"threads", set(config.runtime.threads)},
        {"max_seq_len", set(config.runtime.max_seq_len)},
        {"max_batch", set(config.runtime.max_batch)},
        {"max_step_tokens", set(config.runtime.max_step_tokens)},
        {"kv_block_size", set(config.runtime.kv_block_size)},
        {"kv_cache_tokens", set(config.runtime.kv_cache_tokens)},
        {"backend", set(config.runtime.backend)},
        {"device", set(config.runtime.device)},
        {"cuda_graphs", set(config.runtime.cuda_graphs)},
        {"collective_timeout_s", set(config.runtime.collective_timeout_s)},
        {"weight_dtype", set(config.runtime.weight_dtype)},
        {"kv_dtype", set(config.runtime.kv_dtype)}}},
      {"sampling",
       {{"max_tokens", set(config.sampling.max_tokens)},
        {"temperature", set(config.sampling.temperature)},
        {"top_k", set(config.sampling.top_k)},
        {"top_p", set(config.sampling.top_p)},
        {"seed", set(config.sampling.seed)},
        {"ignore_eos", set(config.sampling.ignore_eos)}}},
      {"server",
       {{"host", set(config.server.host)},
        {"port", set(config.server.port)},
        {"max_queue", set(config.server.max_queue)},
        {"api_key", set(config.server.api_key)},
        {"chat_template", set(config.server.chat_template)},
        {"model_name", set(config.server.model_name)},
        {"http_threads", set(config.server.http_threads)}}},
  };

  for (const auto& section : root) {
    const std::string name = key_name(file, section.first, "a section");
    const auto known = sections.find(name);
    GS_CHECK(known != sections.end(), where(file, section.first)
                                          << ": unknown section '" << name
                                          << "' (expected model, parallel, runtime, sampling or server)");
    GS_CHECK(section.second.IsMap() || section.second.IsNull(),
             where(file, section.second) << ": section '" << name << "' must be a mapping");
    for (const auto& entry : section.second) {
      const std::string key = key_name(file, entry.first, "a key");
      const auto setter = known->second.find(key);
      if (setter == known->second.end()) {
        std::ostringstream valid;
        for (const auto& [k, unused] : known->second) valid << ' ' << k;
        GS_FAIL(where(file, entry.first) << ": unknown key '" << name << "." << key
                                         << "' (valid keys:" << valid.str() << ")");
      }
      try {
        GS_CHECK(entry.second.IsScalar(), "not a scalar");
        setter->second.store(entry.second);
      } catch (const std::exception&) {
        GS_FAIL(where(file, entry.second) << ": '" << name << "." << key << "' must be "
                                          << setter->second.expected << ", got '"
                                          << YAML::Dump(entry.second) << "'");
      }
    }
  }
}

std::string run_config_to_yaml(const RunConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "model" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value
      << c.model.path << YAML::Key << "tokenizer" << YAML::Value << c.model.tokenizer << YAML::EndMap;
  out << YAML::Key << "parallel" << YAML::Value << YAML::BeginMap << YAML::Key << "strategy"
      << YAML::Value << c.parallel.strategy << YAML::Key << "collectives" << YAML::Value
      << c.parallel.collectives << YAML::EndMap;
  out << YAML::Key << "runtime" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "threads" << YAML::Value << c.runtime.threads;
  out << YAML::Key << "max_seq_len" << YAML::Value << c.runtime.max_seq_len;
  out << YAML::Key << "max_batch" << YAML::Value << c.runtime.max_batch;
  out << YAML::Key << "max_step_tokens" << YAML::Value << c.runtime.max_step_tokens;
  out << YAML::Key << "kv_block_size" << YAML::Value << c.runtime.kv_block_size;
  out << YAML::Key << "kv_cache_tokens" << YAML::Value << c.runtime.kv_cache_tokens;
  out << YAML::Key << "backend" << YAML::Value << c.runtime.backend;
  out << YAML::Key << "device" << YAML::Value << c.runtime.device;
  out << YAML::Key << "cuda_graphs" << YAML::Value << c.runtime.cuda_graphs;
  out << YAML::Key << "collective_timeout_s" << YAML::Value << c.runtime.collective_timeout_s;
  out << YAML::Key << "weight_dtype" << YAML::Value << c.runtime.weight_dtype;
  out << YAML::Key << "kv_dtype" << YAML::Value << c.runtime.kv_dtype << YAML::EndMap;
  out << YAML::Key << "sampling" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_tokens" << YAML::Value << c.sampling.max_tokens;
  out << YAML::Key << "temperature" << YAML::Value << c.sampling.temperature;
  out << YAML::Key << "top_k" << YAML::Value << c.sampling.top_k;
  out << YAML::Key << "top_p" << YAML::Value << c.sampling.top_p;
  out << YAML::Key << "seed" << YAML::Value << c.sampling.seed;
  out << YAML::Key << "ignore_eos" << YAML::Value << c.sampling.ignore_eos << YAML::EndMap;
  out << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "host" << YAML::Value << c.server.host;
  out << YAML::Key << "port" << YAML::Value << c.server.port;
  out << YAML::Key << "max_queue" << YAML::Value << c.server.max_queue;
  out << YAML::Key << "api_key" << YAML::Value << (c.server.api_key.empty() ? "" : "(set)");
  out << YAML::Key << "chat_template" << YAML::Value << c.server.chat_template;
  out << YAML::Key << "model_name" << YAML::Value << c.server.model_name;
  out << YAML::Key << "http_threads" << YAML::Value << c.server.http_threads << YAML::EndMap;
  out << YAML::EndMap;
  return out.c_str();
}

}  // namespace gs
