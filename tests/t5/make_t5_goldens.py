#!/usr/bin/env python3
"""Makes the small random T5 checkpoints of tests/t5/data and their goldens.

The truth is Hugging Face transformers' stock T5ForConditionalGeneration. GQA-G in
the decoder (the paper's placement: self- and cross-attention; the encoder stays
multi-head) is stock HF T5 is not; a GQA-G checkpoint is exactly the MHA model whose
K/V heads are copies of their group's head, so the reference runs stock HF T5 on the
checkpoint expanded that way, and the engine reads the GQA checkpoint itself
(config.json's num_key_value_heads, K/V of G heads).

Each model directory gets config.json, model.safetensors (save_pretrained's names),
spiece.model (a tiny SentencePiece unigram model, T5's ids: pad 0, eos 1, unk 2) and
golden.json: per case the encoder ids, teacher-forced decoder ids with the logits of
every decoder position, and 12 greedy ids (no EOS stop).

Run: python3 tests/t5/make_t5_goldens.py  (torch, transformers, safetensors,
sentencepiece; tested with transformers 4.40.2 and torch 1.13).
"""
import io
import json
import os
import sys

import torch
import sentencepiece as spm
from transformers import T5Config, T5ForConditionalGeneration

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data")

MODELS = [
    # name, config, G (None: plain MHA, no num_key_value_heads), dtype
    ("t5-v1_0-mha", dict(d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=4,
                         vocab_size=128, relative_attention_num_buckets=16, relative_attention_max_distance=12,
                         feed_forward_proj="relu", tie_word_embeddings=True,
                         initializer_factor=1.5), None, torch.float32),
    ("t5-v1_1-gqa2", dict(d_model=32, d_kv=4, d_ff=48, num_layers=2, num_decoder_layers=3, num_heads=8,
                          vocab_size=128, relative_attention_num_buckets=32, relative_attention_max_distance=20,
                          feed_forward_proj="gated-gelu", tie_word_embeddings=False), 2, torch.float32),
    ("t5-v1_1-gqa4-bf16", dict(d_model=32, d_kv=4, d_ff=48, num_layers=2, num_decoder_layers=2, num_heads=8,
                               vocab_size=128, relative_attention_num_buckets=32, relative_attention_max_distance=20,
                               feed_forward_proj="gated-gelu", tie_word_embeddings=False), 4, torch.bfloat16),
]

TEXT = """the quick brown fox jumps over the lazy dog
grouped query attention shares one key and value head among a group of query heads
translate english to german: the house is wonderful
summarize: studies have shown that owning a dog is good for you
a small encoder decoder model reads the input and writes the output one token at a time
""" * 20


PAIRS = [
    {"input": "translate english to german: the house is wonderful", "target": "das haus ist wunderbar"},
    {"input": "summarize: studies have shown that owning a dog is good for you", "target": "dogs are good"},
    {"input": "the quick brown fox", "target": "jumps over the lazy dog"},
]


def train_spiece(path, vocab_size=72):
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(TEXT.splitlines()), model_writer=model,
                                   vocab_size=vocab_size, model_type="unigram", pad_id=0, eos_id=1, unk_id=2,
                                   bos_id=-1, character_coverage=1.0, minloglevel=2,
                                   normalization_rule_name="identity")
    with open(path, "wb") as f:
        f.write(model.getvalue())
    return spm.SentencePieceProcessor(model_file=path)


def attention_modules(model):
    """(module, is_decoder) for every attention of the model."""
    for block in model.encoder.block:
        yield block.layer[0].SelfAttention, False
    for block in model.decoder.block:
        yield block.layer[0].SelfAttention, True
        yield block.layer[1].EncDecAttention, True


def pool_and_expand(model, groups, d_kv, n_heads, dtype):
    """Mean-pools every decoder K/V into `groups` heads; returns the GQA K/V weights
    by module and leaves the model holding their expansion (each group's head copied
    to its query heads), which is the exact MHA equivalent."""
    gqa = {}
    per = n_heads // groups
    for module, is_decoder in attention_modules(model):
        if not is_decoder:
            continue
        for proj in ("k", "v"):
            w = getattr(module, proj).weight.data  # (H*d, d_model)
            pooled = w.view(groups, per, d_kv, -1).mean(dim=1).to(dtype).float()  # (G, d, d_model), storable
            gqa[(id(module), proj)] = pooled.reshape(groups * d_kv, -1).clone()
            getattr(module, proj).weight.data = pooled.repeat_interleave(per, dim=0).reshape(n_heads * d_kv, -1)
    return gqa


def build_model(name, cfg, groups, dtype, seed, sp):
    """The reference model (GQA expanded to MHA), the GQA K/V weights and the cases."""
    torch.manual_seed(seed)
    config = T5Config(**{"initializer_factor": 1.0, **cfg}, decoder_start_token_id=0, pad_token_id=0,
                      eos_token_id=1, dropout_rate=0.0)
    model = T5ForConditionalGeneration(config).eval()
    # Larger relative biases than the init's, so that the bias visibly matters.
    for module, _ in attention_modules(model):
        if module.has_relative_attention_bias:
            module.relative_attention_bias.weight.data.normal_(0.0, 1.0)
    if dtype != torch.float32:  # the stored values are what both sides compute with
        for p in model.parameters():
            p.data = p.data.to(dtype).float()
    gqa = pool_and_expand(model, groups, cfg["d_kv"], cfg["num_heads"], dtype) if groups else {}
    texts = ["the quick brown fox", "translate english to german: the house is wonderful and the dog is lazy "
             "and the fox is quick and brown"]
    gen = torch.Generator().manual_seed(len(name))
    inputs = []
    for text in texts:
        ids = sp.encode(text) + [1]
        dec = [0] + torch.randint(3, cfg["vocab_size"], (9,), generator=gen).tolist()
        inputs.append((text, ids, dec))
    # How far a float32 evaluation strays (HF's own, in float32): a model that
    # amplifies rounding cannot hold any float32 engine to 1e-4.
    float32 = [model(input_ids=torch.tensor([ids]), decoder_input_ids=torch.tensor([dec])).logits[0]
               for _, ids, dec in inputs]
    # The reference computes in float64 (the stored weights are exact in it), so the
    # goldens are the definition's values, not one float32 evaluation of them.
    model = model.double()
    cases = []
    for (text, ids, dec), logits32 in zip(inputs, float32):
        enc = torch.tensor([ids])
        logits = model(input_ids=enc, decoder_input_ids=torch.tensor([dec])).logits[0]
        spread = float((logits32.double() - logits).abs().max())
        greedy, margin = [0], float("inf")
        for _ in range(12):
            step = model(input_ids=enc, decoder_input_ids=torch.tensor([greedy])).logits[0, -1]
            top = torch.topk(step, 2).values
            margin = min(margin, float(top[0] - top[1]))
            greedy.append(int(step.argmax()))
        cases.append({"text": text, "input_ids": ids, "decoder_ids": dec,
                      "logits": [[round(float(x), 7) for x in row] for row in logits],
                      "greedy_ids": greedy[1:], "greedy_margin": margin, "float32_spread": spread})
    return model, gqa, cases


@torch.no_grad()
def main():
    with open(os.path.join(OUT, "pairs.jsonl"), "w") as f:
        for pair in PAIRS:
            f.write(json.dumps(pair) + "\n")
    for index, (name, cfg, groups, dtype) in enumerate(MODELS):
        out = os.path.join(OUT, name)
        os.makedirs(out, exist_ok=True)
        sp = train_spiece(os.path.join(out, "spiece.model"))
        # A random model's greedy ids may settle on one token at once, or pass near-ties
        # that float32 may break either way; the first seed whose greedy ids vary (at
        # least 4 distinct of 12 in every case) with a top-2 margin of 1e-3, and whose
        # float32 logits stay within 2e-5 of float64, is kept.
        for attempt in range(50):
            model, gqa, cases = build_model(name, cfg, groups, dtype, 20230522 + 100 * index + attempt, sp)
            if all(len(set(c["greedy_ids"])) >= 4 and c["greedy_margin"] > 1e-3 and c["float32_spread"] < 2e-5
                   for c in cases):
                break
        else:
            raise SystemExit(f"{name}: no seed gave varied greedy ids")

        # Teacher-forced target NLL over the pairs of data/pairs.jsonl (the eval golden).
        total_nll, total_tokens = 0.0, 0
        for pair in PAIRS:
            enc = torch.tensor([sp.encode(pair["input"]) + [1]])
            target = sp.encode(pair["target"]) + [1]
            dec = torch.tensor([[0] + target[:-1]])
            logp = torch.log_softmax(model(input_ids=enc, decoder_input_ids=dec).logits[0], dim=-1)
            total_nll -= float(sum(logp[i, t] for i, t in enumerate(target)))
            total_tokens += len(target)
        evaluation = {"pairs_file": "pairs.jsonl", "tokens": total_tokens, "nll": total_nll / total_tokens}

        # Write the GQA checkpoint: stock names, K/V of G heads.
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        if groups:
            names = {}
            for mod_name, module in model.named_modules():
                names[id(module)] = mod_name
            for (mid, proj), w in gqa.items():
                state[f"{names[mid]}.{proj}.weight"] = w.contiguous()
        if cfg["tie_word_embeddings"]:
            for k in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight", "lm_head.weight"):
                state.pop(k, None)  # save_pretrained keeps shared.weight only
        else:
            for k in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight"):
                state.pop(k, None)
        from safetensors.torch import save_file
        save_file({k: v.to(dtype).contiguous() for k, v in state.items()}, os.path.join(out, "model.safetensors"),
                  metadata={"format": "pt"})
        config_json = model.config.to_dict()
        config_json["architectures"] = ["T5ForConditionalGeneration"]
        config_json["torch_dtype"] = "bfloat16" if dtype == torch.bfloat16 else "float32"
        if groups:
            config_json["num_key_value_heads"] = groups
        for k in ("transformers_version", "_name_or_path"):
            config_json.pop(k, None)
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(config_json, f, indent=2, sort_keys=True)
        with open(os.path.join(out, "golden.json"), "w") as f:
            json.dump({"model": name, "reference": "transformers T5ForConditionalGeneration (GQA expanded to MHA)",
                       "cases": cases, "eval": evaluation}, f)
        print(name, "written, seed attempt", attempt, file=sys.stderr)


if __name__ == "__main__":
    main()
