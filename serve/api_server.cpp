#include "serve/api_server.h"

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <memory>

#include <sys/socket.h>
#include <mutex>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/check.h"
#include "serve/api_error.h"
#include "serve/playground.h"
#include "serve/streamed_text.h"

namespace gs::serve {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump(body), "application/json");
}

void send_error(httplib::Response& res, const ApiError& e) { send_json(res, e.status(), e.body()); }

// OpenAI's finish_reason: "stop" for an EOS token or a stop string.
std::string api_finish_reason(FinishReason reason) {
  switch (reason) {
    case FinishReason::eos:
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
    case FinishReason::cancelled: return "cancelled";
  }
  return "stop";
}

json usage_of(const SequenceOutcome& o) {
  return {{"prompt_tokens", o.prompt_tokens},
          {"completion_tokens", o.generated_tokens},
          {"total_tokens", o.prompt_tokens + o.generated_tokens},
          {"prompt_tokens_details", {{"cached_tokens", o.cached_prompt_tokens}}}};
}

}  // namespace

// Written by the scheduler's thread (tokens, the end), read by the HTTP thread.
struct ApiServer::Live {
  long id = -1;
  Clock::time_point arrived = Clock::now();
  // Scheduler thread only.
  StreamedText text;
  int previous = 0;  // the token before the next one, for decoding
  bool first_token_seen = false;
  // Shared, under mutex.
  std::mutex mutex;
  std::condition_variable changed;
  std::string unsent;
  std::vector<int> ids;
  bool done = false;
  SequenceOutcome outcome;

  explicit Live(std::vector<std::string> stops) : text(std::move(stops)) {}

  // Waits until there is text to send or the sequence ended (or `wait` passed).
  void wait_for_news(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, wait, [&] { return done || !unsent.empty(); });
  }
  void wait_until_done() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return done; });
  }
};

BoundPort::BoundPort() = default;
BoundPort::BoundPort(BoundPort&&) noexcept = default;
BoundPort& BoundPort::operator=(BoundPort&&) noexcept = default;
BoundPort::~BoundPort() = default;

BoundPort bind_port(const ServerSettings& settings) {
  BoundPort bound;
  bound.http = std::make_unique<httplib::Server>();
  // cpp-httplib listens with a backlog of 5 connections, compiled into Debian's
  // library; a burst of new clients beyond it would see resets. The socket is
  // remembered here and listens again with a deep backlog once bound.
  auto socket = std::make_shared<int>(-1);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second
  // server on the same port would silently share its connections.
  bound.http->set_socket_options([socket](socket_t fd) {
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    *socket = fd;
  });
  if (settings.port == 0) {
    bound.port = bound.http->bind_to_any_port(settings.host);
    GS_CHECK(bound.port > 0, "cannot listen on " << settings.host << " (any port): pass another --host");
  } else {
    GS_CHECK(bound.http->bind_to_port(settings.host, settings.port),
             "cannot listen on " << settings.host << ":" << settings.port
                                 << " (in use, or not an address of this host): pass another --port or --host");
    bound.port = settings.port;
  }
  GS_CHECK(::listen(*socket, SOMAXCONN) == 0, "cannot listen on " << settings.host << ":" << bound.port);
  return bound;
}

ApiServer::ApiServer(BoundPort bound, Scheduler& scheduler, const Tokenizer& tokenizer, ApiDefaults defaults,
                     ServerSettings settings)
    : scheduler_(scheduler),
      tokenizer_(tokenizer),
      defaults_(std::move(defaults)),
      settings_(std::move(settings)),
      http_(std::move(bound.http)) {
  const int threads = settings_.http_threads;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_payload_max_length(8 << 20);
  http_->set_keep_alive_timeout(5);
  // Each streamed token is a small write: without TCP_NODELAY, Nagle's algorithm
  // holds it until the client's delayed ACK (tens of milliseconds per token).
  http_->set_tcp_nodelay(true);
  scheduler_.set_step_observer([this](const StepRecord& step) { metrics_.step(step); });
  add_routes();
}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start() {
  thread_ = std::thread([this] { http_->listen_after_bind(); });
}

void ApiServer::stop() {
  if (!thread_.joinable()) return;
  http_->stop();
  thread_.join();
}

std::vector<int> ApiServer::prompt_ids(ApiRequest& r, bool chat) const {
  std::vector<int> ids;
  if (chat) {
    if (!settings_.chat_template)
      throw ApiError(400,
                     "this model has no chat template (no tokenizer_config.json with a known chat_template): "
                     "start the server with --chat-template llama-2|llama-3|chatml|mistral, or use /v1/completions",
                     "messages", "no_chat_template");
    ids = tokenizer_.encode(render_chat(*settings_.chat_template, r.messages), true);
  } else if (r.prompt_text) {
    ids = tokenizer_.encode(*r.prompt_text, true);
  } else {
    ids = r.prompt_ids;
    for (int id : ids)
      if (id >= tokenizer_.vocab_size())
        throw ApiError(400, "'prompt' holds token id " + std::to_string(id) + ", outside the vocabulary of " +
                                std::to_string(tokenizer_.vocab_size()),
                       "prompt");
  }
  const int context = scheduler_.max_sequence_length();
  const int n = static_cast<int>(ids.size());
  const char* prompt_param = chat ? "messages" : "prompt";
  if (n + 1 > context)
    throw ApiError(400, "the prompt has " + std::to_string(n) + " tokens; the context holds " + std::to_string(context) +
                            " positions, prompt and answer together",
                   prompt_param, "context_length_exceeded");
  if (r.max_tokens && n + *r.max_tokens > context)
    throw ApiError(400, "'max_tokens' " + std::to_string(*r.max_tokens) + " with a prompt of " + std::to_string(n) +
                            " tokens needs " + std::to_string(n + *r.max_tokens) + " positions; the context holds " +
                            std::to_string(context),
                   "max_tokens", "context_length_exceeded");
  if (!r.max_tokens) r.max_tokens = std::min(defaults_.max_tokens, context - n);
  return ids;
}

std::shared_ptr<ApiServer::Live> ApiServer::submit(const ApiRequest& r, std::vector<int> prompt) {
  auto live = std::make_shared<Live>(r.stop);
  live->previous = prompt.back();
  SequenceRequest request;
  request.prompt = std::move(prompt);
  request.max_tokens = *r.max_tokens;
  request.ignore_eos = r.ignore_eos;
  request.sampling = r.sampling;
  request.on_token = [this, live](int token) {
    const std::string delta = live->text.push(tokenizer_.decode(live->previous, token));
    live->previous = token;
    if (!live->first_token_seen) {
      live->first_token_seen = true;
      metrics_.first_token(std::chrono::duration<double>(Clock::now() - live->arrived).count());
    }
    {
      std::lock_guard lock(live->mutex);
      live->unsent += delta;
      live->ids.push_back(token);
    }
    live->changed.notify_all();
    return !live->text.stopped();
  };
  request.on_finish = [this, live](const SequenceOutcome& outcome) {
    const std::string tail = live->text.finish();
    metrics_.tokens(outcome.prompt_tokens, outcome.generated_tokens);
    {
      std::lock_guard lock(live->mutex);
      live->unsent += tail;
      live->outcome = outcome;
      live->done = true;
    }
    live->changed.notify_all();
  };
  live->id = scheduler_.submit(std::move(request));
  if (live->id < 0) {
    if (scheduler_.closed() || shutting_down_) throw ApiError(503, "the server is shutting down", "", "shutting_down");
    throw ApiError(429, "too many requests are waiting (server.max_queue): retry later", "", "queue_full");
  }
  return live;
}

void ApiServer::complete(const httplib::Request& req, httplib::Response& res, bool chat) {
  if (shutting_down_) throw ApiError(503, "the server is shutting down", "", "shutting_down");
  ApiRequest request = chat ? parse_chat_request(req.body, defaults_) : parse_completion_request(req.body, defaults_);
  std::vector<int> prompt = prompt_ids(request, chat);
  const std::shared_ptr<Live> live = submit(request, std::move(prompt));
  const std::string id = (chat ? "chatcmpl-" : "cmpl-") + std::to_string(next_response_id_++);
  const long created = static_cast<long>(std::time(nullptr));
  const std::string object = chat ? "chat.completion" : "text_completion";
  const std::string model = request.model;
  const bool with_ids = request.return_token_ids;

  if (!request.stream) {
    live->wait_until_done();
    std::lock_guard lock(live->mutex);
    json choice = {{"index", 0}, {"finish_reason", api_finish_reason(live->outcome.finish)}};
    if (chat) {
      choice["message"] = {{"role", "assistant"}, {"content", live->unsent}};
    } else {
      choice["text"] = live->unsent;
      choice["logprobs"] = nullptr;
    }
    if (with_ids) choice["token_ids"] = live->ids;
    send_json(res, 200,
              {{"id", id}, {"object", object}, {"created", created}, {"model", model}, {"choices", json::array({choice})},
               {"usage", usage_of(live->outcome)}});
    metrics_.request_done(200);
    return;
  }

  // Streaming: one event per piece of text, then the finish reason with usage, then [DONE].
  auto chunk = [=](const json& delta_or_text, const json& finish_reason) {
    json choice = {{"index", 0}, {"finish_reason", finish_reason}};
    if (chat) {
      choice["delta"] = delta_or_text;
    } else {
      choice["text"] = delta_or_text;
      choice["logprobs"] = nullptr;
    }
    return json{{"id", id}, {"object", chat ? "chat.completion.chunk" : "text_completion"}, {"created", created},
                {"model", model}, {"choices", json::array({choice})}};
  };
  auto sent_ids = std::make_shared<std::size_t>(0);
  auto role_sent = std::make_shared<bool>(!chat);
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, live, chunk, chat, with_ids, sent_ids, role_sent](std::size_t, httplib::DataSink& sink) {
        live->wait_for_news(std::chrono::milliseconds(200));
        std::string text;
        bool done;
        SequenceOutcome outcome;
        std::vector<int> new_ids;
        {
          std::lock_guard lock(live->mutex);
          text.swap(live->unsent);
          done = live->done;
          outcome = live->outcome;
          if (with_ids) new_ids.assign(live->ids.begin() + *sent_ids, live->ids.end());
          *sent_ids = live->ids.size();
        }
        auto write = [&](const std::string& event) { return sink.write(event.data(), event.size()); };
        if (!text.empty() || !new_ids.empty() || !*role_sent) {
          json delta = chat ? json{{"content", text}} : json(text);
          if (chat && !*role_sent) delta["role"] = "assistant";
          *role_sent = true;
          json event = chunk(delta, nullptr);
          if (with_ids) event["choices"][0]["token_ids"] = new_ids;
          if (!write("data: " + dump(event) + "\n\n")) return false;
        }
        if (done) {
          json last = chunk(chat ? json::object() : json(""), api_finish_reason(outcome.finish));
          last["usage"] = usage_of(outcome);
          if (!write("data: " + dump(last) + "\n\n") || !write("data: [DONE]\n\n")) return false;
          sink.done();
        }
        return true;
      },
      [this, live](bool success) {
        // The client went away before the end: the sequence is cancelled.
        bool done;
        {
          std::lock_guard lock(live->mutex);
          done = live->done;
        }
        if (!done) scheduler_.cancel(live->id);
        metrics_.request_done(success && done ? 200 : 499);
      });
}

void ApiServer::add_routes() {
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (settings_.api_key.empty() || req.path.rfind("/v1/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") == "Bearer " + settings_.api_key)
      return httplib::Server::HandlerResponse::Unhandled;
    send_error(res, ApiError(401, "missing or wrong API key: send the header 'Authorization: Bearer KEY'", "",
                             "invalid_api_key"));
    metrics_.request_done(401);
    return httplib::Server::HandlerResponse::Handled;
  });
  auto guarded = [this](bool chat) {
    return [this, chat](const httplib::Request& req, httplib::Response& res) {
      try {
        complete(req, res, chat);
      } catch (const ApiError& e) {
        send_error(res, e);
        metrics_.request_done(e.status());
      } catch (const std::exception& e) {
        send_error(res, ApiError(500, std::string("internal error: ") + e.what()));
        metrics_.request_done(500);
      }
    };
  };
  http_->Post("/v1/completions", guarded(false));
  http_->Post("/v1/chat/completions", guarded(true));
  http_->Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"object", "list"},
                         {"data", json::array({{{"id", defaults_.model},
                                                {"object", "model"},
                                                {"created", 0},
                                                {"owned_by", "groupshard"},
                                                {"max_model_len", scheduler_.max_sequence_length()}}})}});
  });
  http_->Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    if (shutting_down_) {
      send_json(res, 503, {{"status", "shutting down"}});
    } else {
      send_json(res, 200, {{"status", "ok"}});
    }
  });
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.render(scheduler_.state()), "text/plain; version=0.0.4");
  });
  http_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(playground_html(), "text/html; charset=utf-8");
  });
  // Routes and methods that do not exist, bodies too large: the same error object.
  http_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = "no route " + req.method + " " + req.path;
    if (res.status == 413) message = "the request body is larger than 8 MiB";
    send_error(res, ApiError(res.status, message, "", res.status == 404 ? "not_found" : ""));
    metrics_.request_done(res.status);
  });
}

}  // namespace gs::serve
