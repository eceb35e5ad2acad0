// The request bodies: what clients send by default parses, and every malformed
// body, wrong type, out-of-range value and unknown model is refused with its
// status and the field named.
#include "serve/api_request.h"

#include <gtest/gtest.h>

#include <string>

#include "serve/api_error.h"

namespace gs::serve {
namespace {

const ApiDefaults kDefaults = {"stories260K", 64, {0.0f, 0, 1.0f, 7}};

// The error a completion body gets; fails the test when it parses.
ApiError completion_error(const std::string& body) {
  try {
    parse_completion_request(body, kDefaults);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return ApiError(0, "");
}

ApiError chat_error(const std::string& body) {
  try {
    parse_chat_request(body, kDefaults);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return ApiError(0, "");
}

TEST(ApiRequest, ParsesAnOpenAIClientsCompletion) {
  const ApiRequest r = parse_completion_request(
      R"({"model": "stories260K", "prompt": "Once", "max_tokens": 20, "temperature": 0.7, "top_p": 0.9,
          "top_k": 40, "seed": 3, "stop": ["\n", "The end"], "stream": true, "n": 1, "logprobs": null,
          "frequency_penalty": 0, "user": "x"})",
      kDefaults);
  EXPECT_EQ(r.prompt_text, "Once");
  EXPECT_EQ(r.max_tokens, 20);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.7f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.9f);
  EXPECT_EQ(r.sampling.top_k, 40);
  EXPECT_EQ(r.sampling.seed, 3u);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"\n", "The end"}));
  EXPECT_TRUE(r.stream);
}

TEST(ApiRequest, TakesDefaultsAndTokenIdPrompts) {
  const ApiRequest r = parse_completion_request(R"({"prompt": [1, 403, 407]})", kDefaults);
  EXPECT_EQ(r.model, "stories260K");
  EXPECT_EQ(r.prompt_ids, (std::vector<int>{1, 403, 407}));
  EXPECT_FALSE(r.max_tokens);
  EXPECT_EQ(r.sampling.seed, 7u);
  EXPECT_EQ(parse_completion_request(R"({"prompt": ["one"]})", kDefaults).prompt_text, "one");
}

TEST(ApiRequest, RefusesEachBadFieldNamingIt) {
  struct Case {
    const char* body;
    int status;
    const char* param;
    const char* words;
  };
  const Case cases[] = {
      {"{", 400, "", "not valid JSON"},
      {"", 400, "", "not valid JSON"},
      {"[1]", 400, "", "JSON object"},
      {R"({"prompt": "x", "max_tokens": 4e444444})", 400, "", "number overflow"},  // found by fuzz_api_request
      {R"({"prompt": "x", "model": "gpt-4"})", 404, "model", "'gpt-4' does not exist"},
      {R"({"prompt": "x", "model": 4})", 400, "model", "must be a string"},
      {R"({})", 400, "prompt", "required"},
      {R"({"prompt": ""})", 400, "prompt", "empty"},
      {R"({"prompt": []})", 400, "prompt", "empty"},
      {R"({"prompt": {"a": 1}})", 400, "prompt", "string or a list of token ids"},
      {R"({"prompt": ["a", "b"]})", 400, "prompt", "one prompt per request"},
      {R"({"prompt": [1, -2]})", 400, "prompt", "0.."},
      {R"({"prompt": [1, 2.5]})", 400, "prompt", "integer"},
      {R"({"prompt": "x", "max_tokens": "5"})", 400, "max_tokens", "must be an integer"},
      {R"({"prompt": "x", "max_tokens": 0})", 400, "max_tokens", "1.."},
      {R"({"prompt": "x", "max_tokens": 1e40})", 400, "max_tokens", "integer"},
      {R"({"prompt": "x", "max_tokens": 99999999999999999999})", 400, "max_tokens", "integer"},
      {R"({"prompt": "x", "temperature": -1})", 400, "temperature", "0..2"},
      {R"({"prompt": "x", "temperature": "1"})", 400, "temperature", "number"},
      {R"({"prompt": "x", "top_p": 1.5})", 400, "top_p", "(0, 1]"},
      {R"({"prompt": "x", "top_k": -1})", 400, "top_k", "0.."},
      {R"({"prompt": "x", "seed": "s"})", 400, "seed", "integer"},
      {R"({"prompt": "x", "stop": 3})", 400, "stop", "string or a list of strings"},
      {R"({"prompt": "x", "stop": ["a", 1]})", 400, "stop", "string or a list of strings"},
      {R"({"prompt": "x", "stop": ["a", "b", "c", "d", "e"]})", 400, "stop", "at most 4"},
      {R"({"prompt": "x", "stop": ""})", 400, "stop", "empty"},
      {R"({"prompt": "x", "stream": 1})", 400, "stream", "true or false"},
      {R"({"prompt": "x", "n": 2})", 400, "n", "1"},
      {R"({"prompt": "x", "logprobs": 3})", 400, "logprobs", "not supported"},
      {R"({"prompt": "x", "echo": true})", 400, "echo", "not supported"},
  };
  for (const Case& c : cases) {
    const ApiError e = completion_error(c.body);
    EXPECT_EQ(e.status(), c.status) << c.body;
    EXPECT_EQ(e.param(), c.param) << c.body;
    EXPECT_NE(std::string(e.what()).find(c.words), std::string::npos) << c.body << ": " << e.what();
    const nlohmann::json body = e.body();
    EXPECT_EQ(body["error"]["message"], e.what());
    EXPECT_EQ(body["error"]["type"], c.status == 404 ? "not_found_error" : "invalid_request_error");
    if (*c.param) {
      EXPECT_EQ(body["error"]["param"], c.param);
    }
  }
}

TEST(ApiRequest, ParsesChatMessagesAndRefusesBadOnes) {
  const ApiRequest r = parse_chat_request(
      R"({"messages": [{"role": "system", "content": "Be brief."},
                       {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "!"}]}],
          "max_completion_tokens": 9})",
      kDefaults);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[1].content, "Hi!");
  EXPECT_EQ(r.max_tokens, 9);

  EXPECT_EQ(chat_error(R"({"messages": []})").param(), "messages");
  EXPECT_EQ(chat_error(R"({"prompt": "x"})").param(), "messages");
  EXPECT_EQ(chat_error(R"({"messages": [3]})").param(), "messages[0]");
  EXPECT_EQ(chat_error(R"({"messages": [{"content": "x"}]})").param(), "messages[0].role");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "user"}, {"role": "bot", "content": "x"}]})").param(),
            "messages[0].content");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "user", "content": "x"}, {"role": "bot", "content": "x"}]})").param(),
            "messages[1].role");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})").param(),
            "messages[0].content");
}

}  // namespace
}  // namespace gs::serve
