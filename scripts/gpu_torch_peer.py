#!/usr/bin/env python3
"""The PyTorch peer of `groupshard bench --backend cuda`: HF transformers' Llama with
random bf16 weights of the same shape (TinyLlama-1.1B: h=32, g=4, d=64, 22 layers,
ffn 5632, vocab 32000) decoding greedily on one GPU, timed the same way: decode step
time = (time of a prompt + N new tokens - time of the prompt + 1 token) / (N - 1).

    python3 scripts/gpu_torch_peer.py --batch 1,32,128 --context 128 --gen-tokens 32 --json out.json
"""
import argparse
import json
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def timed_generate(model, prompt, new_tokens):
    torch.cuda.synchronize()
    start = time.perf_counter()
    model.generate(prompt, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)
    torch.cuda.synchronize()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", default="1,32")
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--gen-tokens", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()

    config = LlamaConfig(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22, num_attention_heads=32,
                         num_key_value_heads=4, vocab_size=32000, max_position_embeddings=4096)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(device="cuda", dtype=torch.bfloat16).eval()
    records = []
    with torch.inference_mode():
        for batch in (int(b) for b in args.batch.split(",")):
            prompt = torch.randint(3, config.vocab_size, (batch, args.context), device="cuda")
            timed_generate(model, prompt, 2)  # warm-up
            one = min(timed_generate(model, prompt, 1) for _ in range(args.repeat))
            full = min(timed_generate(model, prompt, args.gen_tokens) for _ in range(args.repeat))
            step = (full - one) / (args.gen_tokens - 1)
            record = {"engine": "pytorch", "batch": batch, "context": args.context, "decode_step_ms": step * 1e3,
                      "decode_tokens_per_s": batch / step, "torch": torch.__version__}
            print(json.dumps(record), flush=True)
            records.append(record)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
