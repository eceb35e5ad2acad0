#include "serve/api_request.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "serve/api_error.h"

namespace gs::serve {

namespace {

using nlohmann::json;

ApiError bad(const std::string& param, const std::string& message) { return ApiError(400, message, param); }

json parse_object(std::string_view body) {
  json root;
  try {
    root = json::parse(body);
  } catch (const json::exception& e) {  // a syntax error, or a number beyond a double (out_of_range)
    throw ApiError(400, std::string("the request body is not valid JSON: ") + e.what(), "", "invalid_json");
  }
  if (!root.is_object()) throw ApiError(400, "the request body must be a JSON object", "", "invalid_json");
  return root;
}

// The field when present and not null.
const json* field(const json& root, const char* name) {
  const auto it = root.find(name);
  return it == root.end() || it->is_null() ? nullptr : &*it;
}

long integer(const json& value, const char* name, long low, long high) {
  if (!value.is_number_integer() && !value.is_number_unsigned())
    throw bad(name, std::string("'") + name + "' must be an integer, got " + value.dump());
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(high))
    throw bad(name, std::string("'") + name + "' must be at most " + std::to_string(high) + ", got " + value.dump());
  const long v = value.get<long>();
  if (v < low || v > high)
    throw bad(name, std::string("'") + name + "' must be in " + std::to_string(low) + ".." + std::to_string(high) +
                        ", got " + value.dump());
  return v;
}

double number(const json& value, const char* name) {
  if (!value.is_number()) throw bad(name, std::string("'") + name + "' must be a number, got " + value.dump());
  const double v = value.get<double>();
  if (!std::isfinite(v)) throw bad(name, std::string("'") + name + "' must be finite");
  return v;
}

bool boolean(const json& value, const char* name) {
  if (!value.is_boolean()) throw bad(name, std::string("'") + name + "' must be true or false, got " + value.dump());
  return value.get<bool>();
}

// Everything but the prompt or messages.
ApiRequest parse_common(const json& root, const ApiDefaults& defaults, const char* max_tokens_alias) {
  ApiRequest r;
  r.model = defaults.model;
  r.sampling = defaults.sampling;
  if (const json* v = field(root, "model")) {
    if (!v->is_string()) throw bad("model", "'model' must be a string, got " + v->dump());
    if (v->get<std::string>() != defaults.model)
      throw ApiError(404, "the model '" + v->get<std::string>() + "' does not exist; this server serves '" +
                              defaults.model + "'",
                     "model", "model_not_found");
  }
  const json* max_tokens = field(root, "max_tokens");
  if (!max_tokens && max_tokens_alias) max_tokens = field(root, max_tokens_alias);
  if (max_tokens) r.max_tokens = static_cast<int>(integer(*max_tokens, "max_tokens", 1, std::numeric_limits<int>::max()));
  if (const json* v = field(root, "temperature")) {
    const double t = number(*v, "temperature");
    if (t < 0 || t > 2) throw bad("temperature", "'temperature' must be in 0..2 (0 = greedy), got " + v->dump());
    r.sampling.temperature = static_cast<float>(t);
  }
  if (const json* v = field(root, "top_p")) {
    const double p = number(*v, "top_p");
    if (p <= 0 || p > 1) throw bad("top_p", "'top_p' must be in (0, 1], got " + v->dump());
    r.sampling.top_p = static_cast<float>(p);
  }
  if (const json* v = field(root, "top_k"))
    r.sampling.top_k = static_cast<int>(integer(*v, "top_k", 0, std::numeric_limits<int>::max()));
  if (const json* v = field(root, "seed")) {
    if (v->is_number_unsigned()) {
      r.sampling.seed = v->get<std::uint64_t>();
    } else {
      r.sampling.seed = static_cast<std::uint64_t>(integer(*v, "seed", std::numeric_limits<long>::min(),
                                                           std::numeric_limits<long>::max()));
    }
  }
  if (const json* v = field(root, "stop")) {
    if (v->is_string()) {
      r.stop.push_back(v->get<std::string>());
    } else if (v->is_array()) {
      if (v->size() > 4) throw bad("stop", "'stop' holds at most 4 strings, got " + std::to_string(v->size()));
      for (const json& s : *v) {
        if (!s.is_string()) throw bad("stop", "'stop' must be a string or a list of strings, got " + v->dump());
        r.stop.push_back(s.get<std::string>());
      }
    } else {
      throw bad("stop", "'stop' must be a string or a list of strings, got " + v->dump());
    }
    for (const std::string& s : r.stop)
      if (s.empty()) throw bad("stop", "'stop' strings must not be empty");
  }
  if (const json* v = field(root, "stream")) r.stream = boolean(*v, "stream");
  if (const json* v = field(root, "ignore_eos")) r.ignore_eos = boolean(*v, "ignore_eos");
  if (const json* v = field(root, "return_token_ids")) r.return_token_ids = boolean(*v, "return_token_ids");
  if (const json* v = field(root, "n"); v && integer(*v, "n", 1, 1) != 1) throw bad("n", "'n' must be 1");
  if (const json* v = field(root, "best_of"); v && integer(*v, "best_of", 1, 1) != 1)
    throw bad("best_of", "'best_of' must be 1");
  if (const json* v = field(root, "logprobs"); v && !(v->is_boolean() && !v->get<bool>()))
    throw bad("logprobs", "'logprobs' is not supported by this server");
  if (const json* v = field(root, "echo"); v && boolean(*v, "echo"))
    throw bad("echo", "'echo' is not supported by this server");
  return r;
}

std::string message_content(const json& content, std::size_t index) {
  const std::string param = "messages[" + std::to_string(index) + "].content";
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) throw bad(param, "'" + param + "' must be a string or a list of text parts");
  std::string text;
  for (const json& part : content) {
    if (!part.is_object() || part.value("type", json()) != "text" || !part.contains("text") ||
        !part["text"].is_string())
      throw bad(param, "'" + param + "' parts must be {\"type\": \"text\", \"text\": STRING}; got " + part.dump());
    text += part["text"].get<std::string>();
  }
  return text;
}

}  // namespace

ApiRequest parse_completion_request(std::string_view body, const ApiDefaults& defaults) {
  const json root = parse_object(body);
  ApiRequest r = parse_common(root, defaults, nullptr);
  const json* prompt = field(root, "prompt");
  if (!prompt) throw bad("prompt", "'prompt' is required");
  if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) prompt = &(*prompt)[0];
  if (prompt->is_string()) {
    if (prompt->get<std::string>().empty()) throw bad("prompt", "'prompt' is empty");
    r.prompt_text = prompt->get<std::string>();
  } else if (prompt->is_array()) {
    if (prompt->empty()) throw bad("prompt", "'prompt' is empty");
    for (const json& id : *prompt) {
      if (id.is_string()) throw bad("prompt", "'prompt' holds several prompts; send one prompt per request");
      r.prompt_ids.push_back(static_cast<int>(integer(id, "prompt", 0, std::numeric_limits<int>::max())));
    }
  } else {
    throw bad("prompt", "'prompt' must be a string or a list of token ids, got " + prompt->dump());
  }
  return r;
}

ApiRequest parse_chat_request(std::string_view body, const ApiDefaults& defaults) {
  const json root = parse_object(body);
  ApiRequest r = parse_common(root, defaults, "max_completion_tokens");
  const json* messages = field(root, "messages");
  if (!messages) throw bad("messages", "'messages' is required");
  if (!messages->is_array() || messages->empty())
    throw bad("messages", "'messages' must be a non-empty list of {role, content}");
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const json& m = (*messages)[i];
    const std::string at = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw bad(at, "'" + at + "' must be an object {role, content}");
    const json* role = field(m, "role");
    if (!role || !role->is_string()) throw bad(at + ".role", "'" + at + ".role' must be a string");
    const std::string name = role->get<std::string>();
    if (name != "system" && name != "user" && name != "assistant")
      throw bad(at + ".role", "'" + at + ".role' must be system, user or assistant, got '" + name + "'");
    const json* content = field(m, "content");
    if (!content) throw bad(at + ".content", "'" + at + ".content' is required");
    r.messages.push_back({name, message_content(*content, i)});
  }
  return r;
}

}  // namespace gs::serve
