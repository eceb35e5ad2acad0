// ApiServer: the OpenAI-compatible HTTP API on rank 0 (cpp-httplib).
//
//   POST /v1/completions, POST /v1/chat/completions  (stream: true → server-sent events)
//   GET /v1/models, GET /health, GET /metrics, GET / (the playground page)
//
// Each request is checked (ApiError → its status and an OpenAI error object),
// tokenized and submitted to the Scheduler; its tokens come back on the scheduler's
// thread and are handed to the HTTP thread waiting for them. A client that goes away
// mid-stream cancels its sequence, which frees its blocks before the next step.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "engine/scheduler.h"
#include "engine/tokenizer/tokenizer.h"
#include "serve/api_request.h"
#include "serve/chat_template.h"
#include "serve/metrics.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace gs::serve {

struct ServerSettings {
  std::string host = "127.0.0.1";
  int port = 8000;         // 0 = any free port
  std::string api_key;     // empty = no authentication
  std::optional<ChatTemplate> chat_template;  // none: chat requests are refused
  int http_threads = 128;  // connections served at once (each streaming client holds one)
};

// The listening socket, bound before the model loads so that a port in use fails
// the start of every rank with one message.
struct BoundPort {
  BoundPort();
  BoundPort(BoundPort&&) noexcept;
  BoundPort& operator=(BoundPort&&) noexcept;
  ~BoundPort();
  std::unique_ptr<httplib::Server> http;
  int port = 0;  // the one chosen when settings.port is 0
};

// Throws gs::Error naming the address when it cannot listen there.
BoundPort bind_port(const ServerSettings& settings);

class ApiServer {
 public:
  ApiServer(BoundPort bound, Scheduler& scheduler, const Tokenizer& tokenizer, ApiDefaults defaults,
            ServerSettings settings);
  ~ApiServer();

  // Serves on a thread of its own until stop().
  void start();
  // Refuses new requests from now on (503) while those in flight finish.
  void begin_shutdown() { shutting_down_ = true; }
  // Stops listening and waits for the connections being served.
  void stop();

 private:
  struct Live;  // a request between the HTTP thread and the scheduler
  void add_routes();
  // The request's prompt as token ids, checked against the vocabulary and the
  // context; sets the max_tokens it will run with. Throws ApiError.
  std::vector<int> prompt_ids(ApiRequest& request, bool chat) const;
  // Submits to the scheduler. Throws ApiError (429 when the queue is full).
  std::shared_ptr<Live> submit(const ApiRequest& request, std::vector<int> prompt);
  // POST /v1/completions and /v1/chat/completions.
  void complete(const httplib::Request& request, httplib::Response& response, bool chat);

  Scheduler& scheduler_;
  const Tokenizer& tokenizer_;
  ApiDefaults defaults_;
  ServerSettings settings_;
  ServerMetrics metrics_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<long> next_response_id_{0};
};

}  // namespace gs::serve
