#!/usr/bin/env python3
"""llama.cpp on the same model shape as `groupshard bench --random-model`: batched
decode steps and prefill chunks, timed the way bench times them.

Writes a GGUF of random weights (f32 or bf16, llama architecture, a dummy
vocabulary) with the `gguf` package, loads it with `llama-cpp-python` (which
builds llama.cpp from its bundled source) and drives llama_decode directly, so
a batch of B sequences is one decode call of B tokens, as in groupshard.
Decode speed does not depend on the weight values, only on their shape and type.

Run through scripts/llama_cpp_compare.sh, which installs both packages in a
temporary virtual environment.
"""
import argparse
import ctypes
import statistics
import time

import numpy as np


def parse_shape(text):
    shape = dict(item.split("=") for item in text.split(","))
    return {k: int(v) for k, v in shape.items()}


def write_gguf(path, shape, dtype, positions, seed):
    import gguf

    h, g, d = shape["h"], shape["g"], shape["d"]
    dim, ffn, vocab, layers = h * d, shape["ffn"], shape["vocab"], shape["layers"]
    w = gguf.GGUFWriter(path, "llama")
    w.add_context_length(positions)
    w.add_embedding_length(dim)
    w.add_block_count(layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(h)
    w.add_head_count_kv(g)
    w.add_rope_dimension_count(d)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_BF16 if dtype == "bf16" else gguf.LlamaFileType.ALL_F32)
    # A dummy SentencePiece vocabulary: unknown, BOS, EOS, the 256 byte tokens, words.
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tokens += [f"\u2581t{i}" for i in range(vocab - len(tokens))]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    types += [gguf.TokenType.BYTE] * 256 + [gguf.TokenType.NORMAL] * (vocab - 259)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * vocab)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)

    rng = np.random.default_rng(seed)

    def matrix(name, rows, cols):
        a = (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float32)
        if dtype == "bf16":
            bits = (a.view(np.uint32) >> 16).astype(np.uint16)
            w.add_tensor(name, bits, raw_shape=(rows, cols), raw_dtype=gguf.GGMLQuantizationType.BF16)
        else:
            w.add_tensor(name, a)

    def norm(name):
        w.add_tensor(name, np.ones(dim, dtype=np.float32))

    matrix("token_embd.weight", vocab, dim)
    for i in range(layers):
        norm(f"blk.{i}.attn_norm.weight")
        matrix(f"blk.{i}.attn_q.weight", h * d, dim)
        matrix(f"blk.{i}.attn_k.weight", g * d, dim)
        matrix(f"blk.{i}.attn_v.weight", g * d, dim)
        matrix(f"blk.{i}.attn_output.weight", dim, h * d)
        norm(f"blk.{i}.ffn_norm.weight")
        matrix(f"blk.{i}.ffn_gate.weight", ffn, dim)
        matrix(f"blk.{i}.ffn_up.weight", ffn, dim)
        matrix(f"blk.{i}.ffn_down.weight", dim, ffn)
    norm("output_norm.weight")
    matrix("output.weight", vocab, dim)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


class Runner:
    """One llama.cpp context with room for `sequences` sequences of `positions` each."""

    def __init__(self, path, sequences, positions, threads, step_tokens):
        import llama_cpp as L

        self.L = L
        L.llama_backend_init()
        mp = L.llama_model_default_params()
        load = getattr(L, "llama_model_load_from_file", None) or L.llama_load_model_from_file
        self.model = load(path.encode(), mp)
        assert self.model, "llama.cpp could not load " + path
        cp = L.llama_context_default_params()
        cp.n_ctx = sequences * positions
        cp.n_batch = max(step_tokens, sequences)
        cp.n_ubatch = max(step_tokens, sequences)
        cp.n_seq_max = sequences
        cp.n_threads = threads
        cp.n_threads_batch = threads
        new_ctx = getattr(L, "llama_init_from_model", None) or L.llama_new_context_with_model
        self.ctx = new_ctx(self.model, cp)
        assert self.ctx, "llama.cpp could not create a context"
        self.batch = L.llama_batch_init(max(step_tokens, sequences), 0, sequences)
        vocab_of = getattr(L, "llama_model_get_vocab", None)
        n_vocab = getattr(L, "llama_vocab_n_tokens", None)
        self.vocab = n_vocab(vocab_of(self.model)) if vocab_of and n_vocab else L.llama_n_vocab(self.model)

    def clear(self):
        L = self.L
        if hasattr(L, "llama_memory_clear"):
            L.llama_memory_clear(L.llama_get_memory(self.ctx), True)
        elif hasattr(L, "llama_kv_self_clear"):
            L.llama_kv_self_clear(self.ctx)
        else:
            L.llama_kv_cache_clear(self.ctx)

    def decode(self, entries):
        """entries: (token, position, sequence, wants_logits); returns seconds."""
        b = self.batch
        for i, (tok, pos, seq, logits) in enumerate(entries):
            b.token[i] = tok
            b.pos[i] = pos
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = logits
        b.n_tokens = len(entries)
        start = time.perf_counter()
        rc = self.L.llama_decode(self.ctx, b)
        took = time.perf_counter() - start
        assert rc == 0, f"llama_decode returned {rc}"
        return took


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", default="h=32,g=4,d=64,layers=22,ffn=5632,vocab=32000")
    p.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    p.add_argument("--gguf", required=True, help="GGUF file to write (or reuse if it exists)")
    p.add_argument("--batch", default="1,4,8")
    p.add_argument("--context", type=int, default=128)
    p.add_argument("--gen-tokens", type=int, default=8)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--prefill-chunk", default="128,512")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    shape = parse_shape(a.shape)
    batches = [int(b) for b in a.batch.split(",") if b]
    chunks = [int(c) for c in a.prefill_chunk.split(",") if c]
    positions = max([a.context + a.gen_tokens * (a.repeat + 1)] + chunks)

    import os
    if not os.path.exists(a.gguf):
        write_gguf(a.gguf, shape, a.dtype, positions, a.seed)
    rng = np.random.default_rng(a.seed)

    print(f"llama.cpp: {a.shape}, weights {a.dtype}, {a.threads} thread(s), context {a.context}")
    print(f"{'batch':>5} {'step ms':>9} {'decode/s':>10}")
    steps_b1 = None
    for batch in batches:
        r = Runner(a.gguf, batch, positions, a.threads, max(chunks + [a.context]))
        for seq in range(batch):  # each prompt as one chunk, as bench prefills
            r.decode([(int(rng.integers(3, r.vocab)), p, seq, p == a.context - 1) for p in range(a.context)])
        steps = []
        for run in range(a.repeat + 1):  # the first run warms up
            for step in range(a.gen_tokens):
                pos = a.context + run * a.gen_tokens + step
                took = r.decode([(int(rng.integers(3, r.vocab)), pos, seq, True) for seq in range(batch)])
                if run > 0:
                    steps.append(took)
        median = statistics.median(steps)
        print(f"{batch:>5} {1e3 * median:>9.2f} {batch * len(steps) / sum(steps):>10.1f}")
        del r
    print(f"{'chunk':>6} {'ms':>10} {'tokens/s':>10}")
    for chunk in chunks:
        r = Runner(a.gguf, 1, positions, a.threads, chunk)
        times = []
        for run in range(a.repeat + 1):
            r.clear()
            took = r.decode([(int(rng.integers(3, r.vocab)), p, 0, p == chunk - 1) for p in range(chunk)])
            if run > 0:
                times.append(took)
        median = statistics.median(times)
        print(f"{chunk:>6} {1e3 * median:>10.1f} {chunk / median:>10.1f}")


if __name__ == "__main__":
    main()
