#!/usr/bin/env python3
"""Load benchmark of `groupshard serve`: for each concurrency level, N requests over
a prompt set from C concurrent clients, arriving as a Poisson process (--rate
requests/s; 0 = each client sends its next request as soon as its last ends).
Streams every answer and records time to first token (TTFT) and the gaps between
tokens (inter-token latency, ITL). Writes one CSV row per request and one per level,
prints throughput, TTFT and ITL p50/p99, and the throughput ratio of the highest
concurrency to the lowest. Standard library only; plot with scripts/plot_serve_bench.py.
"""
import argparse
import csv
import os
import random
import sys
import threading
import time
from urllib.parse import urlparse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "serve"))
from serve_client import Server  # noqa: E402

PROMPTS = ["Once upon a time", "The little dog", "Lily and Ben went to the park", "One day, a big bird",
           "Tom had a red ball", "The sun was hot", "Mom said", "There was a cat named Tim"]


class Remote:
    """A server someone else started: only the HTTP side of serve_client.Server."""

    def __init__(self, url):
        parsed = urlparse(url)
        self.port = parsed.port or 80
        self.connection = lambda timeout=120: Server.connection(self, timeout)
        self.stream = lambda path, body, timeout=120: Server.stream(self, path, body, timeout)


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def run_level(server, concurrency, n_requests, rate, max_tokens, seed):
    rng = random.Random(seed)
    arrivals, t = [], 0.0
    for _ in range(n_requests):
        arrivals.append(t)
        if rate > 0:
            t += rng.expovariate(rate)
    records, lock, next_index = [], threading.Lock(), [0]
    start = time.perf_counter()

    def client():
        while True:
            with lock:
                i = next_index[0]
                if i >= n_requests:
                    return
                next_index[0] += 1
            wait = start + arrivals[i] - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            stamps, tokens = [], 0
            for event in server.stream("/v1/completions", {"prompt": PROMPTS[i % len(PROMPTS)],
                                                           "max_tokens": max_tokens, "ignore_eos": True}):
                if event == "[DONE]":
                    break
                if event["choices"][0]["text"]:
                    stamps.append(time.perf_counter())
                if event.get("usage"):
                    tokens = event["usage"]["completion_tokens"]
            done = time.perf_counter()
            gaps = [b - a for a, b in zip(stamps, stamps[1:])]
            with lock:
                records.append({"concurrency": concurrency, "request": i, "sent_s": sent - start,
                                "ttft_s": (stamps[0] - sent) if stamps else float("nan"),
                                "tokens": tokens, "duration_s": done - sent, "gaps": gaps})

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - start
    gaps = [g for r in records for g in r["gaps"]]
    ttfts = [r["ttft_s"] for r in records]
    total = sum(r["tokens"] for r in records)
    summary = {"concurrency": concurrency, "requests": len(records), "seconds": seconds, "tokens": total,
               "tokens_per_s": total / seconds, "ttft_p50_s": percentile(ttfts, 50), "ttft_p99_s": percentile(ttfts, 99),
               "itl_p50_s": percentile(gaps, 50), "itl_p99_s": percentile(gaps, 99)}
    return summary, records


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running server; else one is started with --np/--config")
    p.add_argument("--groupshard", default="build/launch/groupshard")
    p.add_argument("--config", default="configs/stories260K.yaml")
    p.add_argument("--np", type=int, default=2)
    p.add_argument("--launcher", default="mpirun --oversubscribe --bind-to none")
    p.add_argument("--server-args", default="", help="more `serve` flags, e.g. '--max-batch 16'")
    p.add_argument("--concurrency", default="1,16", help="comma-separated client counts")
    p.add_argument("--requests", type=int, default=48, help="requests per concurrency level")
    p.add_argument("--rate", type=float, default=0.0, help="Poisson arrivals per second (0 = closed loop)")
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--csv", default="serve_bench.csv", help="per-level summary; per-request rows go to *_requests.csv")
    p.add_argument("--min-ratio", type=float, default=0.0,
                   help="exit 1 when the throughput of the last level is below this multiple of the first")
    a = p.parse_args()

    server = Remote(a.url) if a.url else Server(a.launcher, a.np, a.groupshard,
                                                ["--config", a.config] + a.server_args.split())
    summaries, requests = [], []
    try:
        for c in [int(x) for x in a.concurrency.split(",")]:
            summary, records = run_level(server, c, a.requests, a.rate, a.max_tokens, a.seed)
            summaries.append(summary)
            requests += records
            print("concurrency %3d: %4d requests in %6.2f s, %7.1f tokens/s, TTFT p50 %.3f s p99 %.3f s, "
                  "ITL p50 %.4f s p99 %.4f s" % (c, summary["requests"], summary["seconds"], summary["tokens_per_s"],
                                                 summary["ttft_p50_s"], summary["ttft_p99_s"], summary["itl_p50_s"],
                                                 summary["itl_p99_s"]), flush=True)
    finally:
        if not a.url:
            server.stop()
    with open(a.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(summaries[0].keys()))
        w.writeheader()
        w.writerows(summaries)
    per_request = os.path.splitext(a.csv)[0] + "_requests.csv"
    with open(per_request, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["concurrency", "request", "sent_s", "ttft_s", "tokens", "duration_s",
                                          "mean_itl_s"])
        w.writeheader()
        for r in requests:
            w.writerow({k: r[k] for k in ["concurrency", "request", "sent_s", "ttft_s", "tokens", "duration_s"]} |
                       {"mean_itl_s": sum(r["gaps"]) / len(r["gaps"]) if r["gaps"] else float("nan")})
    print("wrote %s and %s" % (a.csv, per_request))
    if len(summaries) > 1:
        ratio = summaries[-1]["tokens_per_s"] / summaries[0]["tokens_per_s"]
        print("throughput ratio, concurrency %d vs %d: %.2fx" % (summaries[-1]["concurrency"],
                                                                summaries[0]["concurrency"], ratio))
        if ratio < a.min_ratio:
            sys.exit("throughput ratio %.2fx is below the required %.1fx" % (ratio, a.min_ratio))


if __name__ == "__main__":
    main()
