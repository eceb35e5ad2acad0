"""End-to-end tests of `groupshard serve` over loopback HTTP, each a subcommand
(CTest runs them one by one):

  same_as_generate NP   greedy answers (token ids) equal `groupshard generate --json`
                        for the same prompts, one request at a time and 32 at once
  chat                  a chat request (template chatml) answers what a completion of
                        the rendered conversation answers, whole and streamed
  errors                each refused request: its status, error type, field and message
  disconnect            a client leaving mid-stream frees its sequence's KV blocks
  load                  >= 500 requests from >= 64 concurrent clients: none lost,
                        none duplicated, each equal to its prompt's greedy answer
  shutdown              SIGTERM: stop accepting, finish, release every rank, exit 0
  playground            GET / in headless Chromium streams a story into the page
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_client import Server  # noqa: E402

PROMPTS = ["Once upon a time", "The little dog", "Lily and Ben went to the park", "One day, a big bird",
           "Tom had a red ball", "The sun was hot", "Mom said", "There was a cat named Tim"]


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def generate_tokens(a, np, prompts, max_tokens):
    """Token ids `groupshard generate --json` gives for each prompt (greedy)."""
    command = a.launcher.split() + ["-np", str(np), a.groupshard, "generate", "--config", a.config, "--json",
                                    "--max-tokens", str(max_tokens)]
    for p in prompts:
        command += ["--prompt", p]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="passive")
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env, timeout=300).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    check(len(lines) == len(prompts), "generate printed %d answers for %d prompts" % (len(lines), len(prompts)))
    return [line["tokens"] for line in lines]


def completion_ids(server, prompt, max_tokens, **extra):
    status, body = server.request("POST", "/v1/completions",
                                  dict(prompt=prompt, max_tokens=max_tokens, temperature=0, return_token_ids=True,
                                       **extra))
    check(status == 200, "status %d: %s" % (status, body))
    return body["choices"][0]["token_ids"], body


def start(a, np=1, *extra):
    return Server(a.launcher, np, a.groupshard, ["--config", a.config] + list(extra))


def same_as_generate(a):
    max_tokens = 40
    expected = generate_tokens(a, a.np, PROMPTS, max_tokens)
    server = start(a, a.np)
    try:
        for prompt, want in zip(PROMPTS, expected):
            got, body = completion_ids(server, prompt, max_tokens)
            check(got == want, "%r: HTTP gave %s, generate %s" % (prompt, got, want))
            check(body["usage"]["completion_tokens"] == len(got), "usage counts %s" % body["usage"])
        # 32 at once: their blocks interleave in the cache, their answers do not change.
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            futures = [pool.submit(completion_ids, server, PROMPTS[i % len(PROMPTS)], max_tokens) for i in range(32)]
            for i, f in enumerate(futures):
                got = f.result()[0]
                check(got == expected[i % len(PROMPTS)], "concurrent request %d: %s != %s"
                      % (i, got, expected[i % len(PROMPTS)]))
        # Streaming gives the same ids, event by event.
        ids, text, finish = [], "", None
        for event in server.stream("/v1/completions", dict(prompt=PROMPTS[0], max_tokens=max_tokens,
                                                           return_token_ids=True)):
            if event == "[DONE]":
                break
            ids += event["choices"][0].get("token_ids", [])
            text += event["choices"][0]["text"]
            finish = event["choices"][0]["finish_reason"] or finish
        check(ids == expected[0], "streamed ids %s != %s" % (ids, expected[0]))
        check(finish in ("stop", "length"), "finish_reason %s" % finish)
        check(server.stop() == 0, "the server did not exit 0")
    finally:
        server.kill()
    print("same_as_generate np %d: %d prompts alone, 32 concurrent and one streamed equal generate's tokens"
          % (a.np, len(PROMPTS)))


def chat(a):
    server = start(a, a.np, "--chat-template", "chatml")
    messages = [{"role": "system", "content": "Tell a story."}, {"role": "user", "content": "Once upon a time"}]
    rendered = ("<|im_start|>system\nTell a story.<|im_end|>\n<|im_start|>user\nOnce upon a time<|im_end|>\n"
                "<|im_start|>assistant\n")
    try:
        want, _ = completion_ids(server, rendered, 24)
        status, body = server.request("POST", "/v1/chat/completions",
                                      {"messages": messages, "max_tokens": 24, "return_token_ids": True})
        check(status == 200, "chat: status %d %s" % (status, body))
        choice = body["choices"][0]
        check(body["object"] == "chat.completion" and choice["message"]["role"] == "assistant", "chat answer %s" % body)
        check(choice["token_ids"] == want, "chat gave %s, the rendered completion %s" % (choice["token_ids"], want))
        content, role = "", None
        for event in server.stream("/v1/chat/completions", {"messages": messages, "max_tokens": 24}):
            if event == "[DONE]":
                break
            check(event["object"] == "chat.completion.chunk", "chunk %s" % event)
            delta = event["choices"][0]["delta"]
            role = delta.get("role", role)
            content += delta.get("content", "")
        check(role == "assistant" and content == choice["message"]["content"],
              "streamed chat %r (role %s) != %r" % (content, role, choice["message"]["content"]))
        check(server.stop() == 0, "the server did not exit 0")
    finally:
        server.kill()
    print("chat: chatml conversation answered as its rendered prompt, whole and streamed")


def expect_error(server, path, body, status, param, words, headers=None):
    got_status, got = server.request("POST", path, body, headers=headers)
    check(got_status == status, "%s %r: status %d (expected %d): %s" % (path, body, got_status, status, got))
    check(isinstance(got, dict) and "error" in got, "no error object: %r" % got)
    error = got["error"]
    check(error.get("param") == param, "%r: param %r, expected %r" % (body, error.get("param"), param))
    for w in words:
        check(w in error["message"], "%r: message %r lacks %r" % (body, error["message"], w))
    check(error.get("type"), "no error type: %r" % error)


def errors(a):
    server = start(a, 1, "--api-key", "sesame", "--max-seq-len", "128", "--max-queue", "4")
    key = {"Authorization": "Bearer sesame"}
    try:
        c = "/v1/completions"
        expect_error(server, c, {"prompt": "hi"}, 401, None, ["API key"])
        expect_error(server, c, {"prompt": "hi"}, 401, None, ["API key"], {"Authorization": "Bearer wrong"})
        expect_error(server, c, "{not json", 400, None, ["not valid JSON"], key)
        expect_error(server, c, "[1, 2]", 400, None, ["JSON object"], key)
        expect_error(server, c, {"prompt": "hi", "max_tokens": "ten"}, 400, "max_tokens", ["integer"], key)
        expect_error(server, c, {"prompt": "hi", "max_tokens": 0}, 400, "max_tokens", ["1.."], key)
        expect_error(server, c, {"prompt": "hi", "temperature": "hot"}, 400, "temperature", ["number"], key)
        expect_error(server, c, {"prompt": "hi", "temperature": 5}, 400, "temperature", ["0..2"], key)
        expect_error(server, c, {"prompt": "hi", "top_p": 0}, 400, "top_p", ["(0, 1]"], key)
        expect_error(server, c, {"prompt": "hi", "stream": "yes"}, 400, "stream", ["true or false"], key)
        expect_error(server, c, {"prompt": "hi", "stop": [1]}, 400, "stop", ["string"], key)
        expect_error(server, c, {"prompt": "hi", "model": "gpt-4"}, 404, "model", ["gpt-4", "stories260K"], key)
        expect_error(server, c, {"prompt": ""}, 400, "prompt", ["empty"], key)
        expect_error(server, c, {"max_tokens": 5}, 400, "prompt", ["required"], key)
        expect_error(server, c, {"prompt": [1, 99999]}, 400, "prompt", ["99999", "vocabulary"], key)
        expect_error(server, c, {"prompt": "once " * 200}, 400, "prompt", ["context holds 128"], key)
        expect_error(server, c, {"prompt": "hi", "max_tokens": 500}, 400, "max_tokens", ["500", "context holds 128"],
                     key)
        expect_error(server, "/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}]}, 400,
                     "messages", ["--chat-template"], key)
        expect_error(server, "/v1/chat/completions", {"messages": [{"role": "wizard", "content": "hi"}]}, 400,
                     "messages[0].role", ["wizard"], key)
        status, body = server.request("GET", "/v1/nothing", headers=key)
        check(status == 404 and "no route" in body["error"]["message"], "unknown route: %d %s" % (status, body))
        status, _ = server.request("GET", "/health")
        check(status == 200, "/health without a key: %d" % status)
        # Queue full: one running (slots = 8 by the config, so fill them) ... the 429 comes
        # once max_queue requests wait behind the running ones.
        results = []

        def long_request():
            results.append(server.request("POST", c, {"prompt": "Once upon a time", "max_tokens": 100,
                                                      "ignore_eos": True}, headers=key)[0])
        threads = [threading.Thread(target=long_request) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(429 in results and 200 in results, "40 requests at once with max_queue 4: statuses %s" % sorted(results))
        m = server.metrics()
        check(m.get('groupshard_requests_total{status="429"}', 0) == results.count(429), "429s in /metrics")
        # A second server on the same port: a clear error and exit 1 on every rank, no hang.
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_rmaps_base_oversubscribe="1")
        second = subprocess.run(a.launcher.split() + ["-np", "2", a.groupshard, "serve", "--config", a.config,
                                                      "--port", str(server.port)],
                                capture_output=True, text=True, timeout=120, env=env)
        check(second.returncode != 0 and "cannot listen on 127.0.0.1:%d" % server.port in second.stderr,
              "a second server on port %d: exit %d, %s" % (server.port, second.returncode, second.stderr[-500:]))
        check(server.stop() == 0, "the server did not exit 0")
    finally:
        server.kill()
    print("errors: every refused request had its status, field and message; 429 when the queue is full")


def disconnect(a):
    server = start(a, a.np)
    try:
        events = server.stream("/v1/completions", {"prompt": "Once upon a time", "max_tokens": 480,
                                                   "ignore_eos": True})
        for i, _ in zip(range(3), events):
            pass
        m = server.metrics()
        check(m["groupshard_kv_blocks_used"] > 0, "no blocks held mid-stream: %s" % m)
        events.close()  # the client goes away
        deadline = time.time() + 30
        while time.time() < deadline:
            m = server.metrics()
            if m["groupshard_kv_blocks_used"] == 0 and m["groupshard_running_sequences"] == 0:
                break
            time.sleep(0.1)
        check(m["groupshard_kv_blocks_used"] == 0, "blocks still held 30 s after the client left: %s" % m)
        check(m["groupshard_running_sequences"] == 0, "sequence still running: %s" % m)
        # The server still answers.
        completion_ids(server, "The little dog", 8)
        check(server.stop() == 0, "the server did not exit 0")
    finally:
        server.kill()
    print("disconnect: the blocks of a cancelled stream returned to zero")


def load(a):
    n_requests, n_clients, max_tokens = a.requests, a.clients, 16
    expected = generate_tokens(a, 1, PROMPTS, max_tokens)
    server = start(a, a.np, "--max-queue", str(n_requests))
    seen = {}
    lock = threading.Lock()
    try:
        def client(number):
            for i in range(number, n_requests, n_clients):
                prompt = PROMPTS[i % len(PROMPTS)]
                # The request number rides in the stop strings, which the answer never holds.
                ids, body = completion_ids(server, prompt, max_tokens, stop=["#request %d#" % i])
                with lock:
                    check(body["id"] not in seen.values(), "response id %s given twice" % body["id"])
                    check(i not in seen, "request %d answered twice" % i)
                    seen[i] = body["id"]
                check(ids == expected[i % len(PROMPTS)], "request %d: %s != %s" % (i, ids, expected[i % len(PROMPTS)]))
        start_time = time.time()
        with concurrent.futures.ThreadPoolExecutor(n_clients) as pool:
            for f in [pool.submit(client, c) for c in range(n_clients)]:
                f.result(timeout=a.time_limit)
        seconds = time.time() - start_time
        check(sorted(seen) == list(range(n_requests)), "answered %d of %d requests" % (len(seen), n_requests))
        check(seconds < a.time_limit, "took %.1f s, over the %d s bound" % (seconds, a.time_limit))
        m = server.metrics()
        check(m['groupshard_requests_total{status="200"}'] == n_requests, "/metrics counts %s" % m)
        check(server.stop() == 0, "the server did not exit 0")
    finally:
        server.kill()
    print("load: %d requests from %d clients in %.1f s, each answered once and correctly"
          % (n_requests, n_clients, seconds))


def shutdown(a):
    # 24 long requests (8 run, 16 wait): whichever way the signal comes, some are still
    # running or waiting when it lands, and every one of them must get its answer.
    for sig, to_mpirun in [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)]:
        server = start(a, a.np)
        what = "%s to %s" % (sig.name, "mpirun" if to_mpirun else "rank 0")
        try:
            answers = []
            lock = threading.Lock()

            def long_request():
                answer = server.request("POST", "/v1/completions",
                                        {"prompt": "Once upon a time", "max_tokens": 480, "ignore_eos": True})
                with lock:
                    answers.append(answer)
            threads = [threading.Thread(target=long_request) for _ in range(24)]
            for t in threads:
                t.start()
            deadline = time.time() + 30
            while server.metrics()["groupshard_running_sequences"] == 0 and time.time() < deadline:
                time.sleep(0.05)
            status = server.stop(sig, to_mpirun=to_mpirun)
            for t in threads:
                t.join(30)
            # mpirun reports 1 for a job it was told to stop; the ranks themselves end cleanly.
            check(status == (1 if to_mpirun else 0), "exit status %d after %s:\n%s" % (status, what, "".join(server.log)))
            check(len(answers) == 24 and all(code == 200 for code, _ in answers),
                  "after %s: %d answers, statuses %s" % (what, len(answers), [code for code, _ in answers]))
            reasons = [body["choices"][0]["finish_reason"] for _, body in answers]
            check("cancelled" in reasons, "after %s nothing was cancelled: %s" % (what, reasons))
            check(any("releasing every rank" in line for line in server.log), "no shutdown message after " + what)
        finally:
            server.kill()
        print("shutdown: %s answered every request (%d cancelled), released every rank (exit %d)"
              % (what, reasons.count("cancelled"), status))


def playground(a):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        raise AssertionError("chromium is not installed: scripts/install_deps.sh installs it")
    server = start(a, a.np)
    try:
        url = "http://127.0.0.1:%d/?prompt=Once%%20upon%%20a%%20time&max_tokens=40&autorun=1" % server.port
        # Virtual time stands still while the stream is open, so the page is captured
        # once the answer is complete (and its tokens/s reads 0: no time passed).
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=20000",
                 "--run-all-compositor-stages-before-draw", "--user-data-dir=%s"]
        with tempfile.TemporaryDirectory() as profile:
            run = lambda extra: subprocess.run([browser] + [f.replace("%s", profile) for f in flags] + extra + [url],
                                               capture_output=True, text=True, timeout=120)
            dom = run(["--dump-dom"]).stdout
            shot = os.path.join(a.out_dir, "playground.png")
            run(["--screenshot=" + shot, "--window-size=1000,700"])
        expected = "there was a little girl named Lily"
        check(expected in dom, "the page does not show the streamed story; its DOM:\n" + dom[-2000:])
        check("tokens/s" in dom, "the page shows no tokens/s")
        with open(shot, "rb") as f:
            png = f.read()
        check(png.startswith(b"\x89PNG") and len(png) > 10000, "no screenshot of the page (%d bytes)" % len(png))
        check(server.stop() == 0, "the server did not exit 0")
    finally:
        server.kill()
    print("playground: headless Chromium streamed %r into the page; screenshot %s" % (expected, shot))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("case", choices=["same_as_generate", "chat", "errors", "disconnect", "load", "shutdown", "playground"])
    p.add_argument("--launcher", required=True, help="mpirun and its options")
    p.add_argument("--groupshard", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--np", type=int, default=1)
    p.add_argument("--requests", type=int, default=500)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--time-limit", type=int, default=300)
    p.add_argument("--out-dir", default=".")
    a = p.parse_args()
    globals()[a.case](a)


if __name__ == "__main__":
    main()
