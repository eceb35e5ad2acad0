// The bodies of POST /v1/completions and /v1/chat/completions, parsed and checked
// field by field: a malformed body, a field of the wrong type or out of range, or
// an unknown model throws ApiError naming the field. Fields this server does not
// implement but clients send by default (logprobs: null, n: 1, ...) are accepted
// when they ask for nothing; fields it does not know are ignored, as OpenAI does.
// Tokenizer-dependent checks (prompt length) come later, in the routes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sampler.h"

namespace gs::serve {

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};

// What a request may leave out.
struct ApiDefaults {
  std::string model;  // the one model served
  int max_tokens = 128;
  SamplingParams sampling;
};

struct ApiRequest {
  std::string model;
  std::optional<std::string> prompt_text;  // completions: a string prompt
  std::vector<int> prompt_ids;             // completions: a prompt of token ids
  std::vector<ChatMessage> messages;       // chat
  std::optional<int> max_tokens;           // absent: the default, cut to the context
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings (not included in the answer)
  bool stream = false;
  bool ignore_eos = false;
  bool return_token_ids = false;  // the generated ids in each choice (for clients that compare tokens)
};

ApiRequest parse_completion_request(std::string_view body, const ApiDefaults& defaults);
ApiRequest parse_chat_request(std::string_view body, const ApiDefaults& defaults);

}  // namespace gs::serve
