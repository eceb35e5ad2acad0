#include "launch/serve_command.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include <unistd.h>

#include "engine/scheduler.h"
#include "common/check.h"
#include "launch/collective_phase.h"
#include "launch/model_setup.h"
#include "serve/api_server.h"
#include "serve/chat_template.h"

namespace gs {

namespace {

// Set by SIGINT/SIGTERM on rank 0; the scheduler's loop looks at it between steps.
std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void request_stop(int) { stop_requested.store(true); }

// The id clients ask for: the model file's name without extension, or its folder's.
std::string default_model_name(const std::string& path) {
  const std::filesystem::path p = std::filesystem::path(path).lexically_normal();
  const std::filesystem::path name = p.has_filename() ? p : p.parent_path();
  return std::filesystem::is_directory(name) ? name.filename().string() : name.stem().string();
}

void check_server_config(const RunConfig::Server& s) {
  GS_CHECK(s.port >= 0 && s.port <= 65535, "server.port must be in 0..65535 (0 = any free port), got " << s.port);
  GS_CHECK(s.max_queue >= 1, "server.max_queue must be at least 1, got " << s.max_queue);
  GS_CHECK(s.http_threads >= 1, "server.http_threads must be at least 1, got " << s.http_threads);
  GS_CHECK(!s.host.empty(), "server.host is empty: pass --host 127.0.0.1 (or 0.0.0.0 for every address)");
}

}  // namespace

Subcommand add_serve_command(CLI::App& app, ServeOptions& o) {
  CLI::App* cmd = app.add_subcommand("serve", "serve an OpenAI-compatible HTTP API (rank 0) with continuous batching");
  add_common_options(*cmd, o.common);
  cmd->add_option("--host", o.host, "address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", o.port, "port to listen on (default 8000; 0 = any free port)");
  cmd->add_option("--max-queue", o.max_queue, "requests waiting for admission at most; more get 429");
  cmd->add_option("--api-key", o.api_key, "require 'Authorization: Bearer KEY' on /v1/");
  cmd->add_option("--chat-template", o.chat_template,
                  "llama-2, llama-3, chatml or mistral (default: from the model's tokenizer_config.json)");
  cmd->add_option("--model-name", o.model_name, "the model id clients ask for (default: the model's file name)");
  return {cmd, [&o](ControlChannel& comm) { return run_serve(o, comm); }};
}

int run_serve(const ServeOptions& o, ControlChannel& comm) {
  RunConfig config;
  std::unique_ptr<Tokenizer> tokenizer;
  std::optional<ShardPlan> plan;
  RankSlice slice;
  serve::ServerSettings settings;
  serve::ApiDefaults defaults;
  serve::BoundPort bound;

  run_collective_phase(comm, [&] {
    config = resolve_run_config(o.common);
    if (o.host) config.server.host = *o.host;
    if (o.port) config.server.port = *o.port;
    if (o.max_queue) config.server.max_queue = *o.max_queue;
    if (o.api_key) config.server.api_key = *o.api_key;
    if (o.chat_template) config.server.chat_template = *o.chat_template;
    if (o.model_name) config.server.model_name = *o.model_name;
    check_server_config(config.server);
    GS_CHECK(config.sampling.max_tokens >= 1, "sampling.max_tokens must be at least 1, got " << config.sampling.max_tokens);
    defaults.max_tokens = config.sampling.max_tokens;
    defaults.sampling = {config.sampling.temperature, config.sampling.top_k, config.sampling.top_p,
                         config.sampling.seed};
    defaults.sampling.validate();
    defaults.model = config.server.model_name.empty() ? default_model_name(config.model.path) : config.server.model_name;
    settings.host = config.server.host;
    settings.port = config.server.port;
    settings.api_key = config.server.api_key;
    settings.http_threads = config.server.http_threads;
    if (!config.server.chat_template.empty())
      settings.chat_template = serve::chat_template_from_name(config.server.chat_template);
    config.runtime.threads = apply_threads(config.runtime.threads);
    check_dtype_names(config.runtime);

    std::unique_ptr<WeightSource> source = open_checkpoint(config.model.path);
    const ModelConfig& model_config = source->config();
    plan = ShardPlan::make(model_config.shape(), comm.size(), strategy_from_name(config.parallel.strategy));
    const ModelLimits limits = model_limits(config.runtime, model_config, config.runtime.max_batch);
    config.runtime.max_seq_len = limits.capacity;
    if (comm.rank() == 0) {
      tokenizer = open_model_tokenizer(config, model_config);
      GS_CHECK(tokenizer, "no tokenizer found beside " << config.model.path
                                                       << ": serve needs one, pass --tokenizer PATH");
      if (!settings.chat_template) settings.chat_template = serve::chat_template_of_model(config.model.path);
      bound = serve::bind_port(settings);
    }
    slice = load_rank_slice(*source, *plan, comm, config.runtime, limits);
  });
  const RankModel built = build_rank_model(comm, config, *plan, std::move(slice));
  StepExecutor executor(*built.model, comm);
  if (comm.rank() != 0) {
    // Rank 0 alone handles the signals; this rank ends when rank 0 releases it.
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGTERM, SIG_IGN);
    executor.serve();
    return 0;
  }
  if (o.common.verbose) print_resolved_config(config, *plan);

  std::vector<int> stop_ids = built.model->config().eos_ids;
  stop_ids.push_back(built.model->config().bos_id);
  SchedulerOptions scheduling;
  scheduling.max_waiting = config.server.max_queue;
  scheduling.prefix_caching = true;
  Scheduler scheduler(executor, stop_ids, scheduling);
  const int port = bound.port;
  serve::ApiServer server(std::move(bound), scheduler, *tokenizer, defaults, settings);

  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  server.start();
  std::fprintf(stderr,
               "groupshard: serving %s on http://%s:%d (tp %d, %d sequences x %d positions, chat template %s; "
               "stop with SIGINT or SIGTERM to rank 0, pid %d)\n",
               defaults.model.c_str(), settings.host.c_str(), port, plan->tp(), built.model->limits().slots,
               built.model->limits().capacity,
               settings.chat_template ? serve::chat_template_name(*settings.chat_template).c_str() : "none",
               static_cast<int>(getpid()));
  std::fflush(stderr);

  scheduler.run(stop_requested);  // returns on SIGINT/SIGTERM, the requests left cancelled
  std::fprintf(stderr, "groupshard: stopping: no new requests, releasing every rank\n");
  server.begin_shutdown();
  server.stop();
  executor.stop();
  return 0;
}

}  // namespace gs
