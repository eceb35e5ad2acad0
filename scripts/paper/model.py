"""The Llama forward pass the engine runs, in PyTorch, on the weights exactly as
a Hugging Face directory stores them.

HF checkpoints store each head's q/k rows half-split (pair i = rows i and
i + head_dim/2); the engine permutes them back to llama2.c's interleaved pairs on
load and rotates (x[2i], x[2i+1]). Rotating the half-split rows as halves
(rotate_half) is the same computation on the same numbers, so training needs no
permutation and the file it writes is in the layout it read.
"""
import math

import torch
import torch.nn.functional as F

# Dropout of the original recipe (llama2.c model.py: embedding, attention
# probabilities, both residual branches).
DROPOUT = 0.1


class Llama(torch.nn.Module):
    def __init__(self, config, tensors):
        super().__init__()
        self.dim = config["hidden_size"]
        self.n_layers = config["num_hidden_layers"]
        self.n_heads = config["num_attention_heads"]
        self.n_kv_heads = config.get("num_key_value_heads", self.n_heads)
        self.head_dim = config.get("head_dim") or self.dim // self.n_heads
        self.eps = config.get("rms_norm_eps", 1e-5)
        self.theta = config.get("rope_theta", 10000.0)
        assert not any(name.endswith(".bias") for name in tensors), "q/k/v biases are not supported"
        assert config.get("rope_scaling") is None, "rope_scaling is not supported"
        self.tied = "lm_head.weight" not in tensors  # tied embeddings stay tied when written back
        # Parameter names are the file's names with '.' -> '/', since nn.Module names cannot hold dots.
        self.weights = torch.nn.ParameterDict(
            {name.replace(".", "/"): torch.nn.Parameter(t.float()) for name, t in tensors.items()})

    def w(self, name):
        return self.weights[name.replace(".", "/")]

    def state(self, dtype):
        """The tensors as the file names them, in dtype."""
        return {name.replace("/", "."): p.detach().to(dtype) for name, p in self.weights.items()}

    def rms_norm(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    def rope(self, x, positions):
        """x: (batch, heads, seq, head_dim) in half-split layout."""
        half = self.head_dim // 2
        inv_freq = 1.0 / self.theta ** (torch.arange(half, dtype=torch.float64) * 2 / self.head_dim)
        angle = positions.to(torch.float64)[:, None] * inv_freq[None, :]
        cos, sin = angle.cos().to(x.dtype), angle.sin().to(x.dtype)
        x1, x2 = x[..., :half], x[..., half:]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)

    def attention(self, x, layer, positions, mask, dropout):
        b, t, _ = x.shape
        p = f"model.layers.{layer}.self_attn."
        q = F.linear(x, self.w(p + "q_proj.weight")).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k = F.linear(x, self.w(p + "k_proj.weight")).view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
        v = F.linear(x, self.w(p + "v_proj.weight")).view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
        q, k = self.rope(q, positions), self.rope(k, positions)
        # GQA: each K/V head serves the n_heads / n_kv_heads query heads of its group.
        repeat = self.n_heads // self.n_kv_heads
        k, v = k.repeat_interleave(repeat, dim=1), v.repeat_interleave(repeat, dim=1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim) + mask
        probs = F.dropout(scores.softmax(-1), dropout, self.training)
        out = (probs @ v).transpose(1, 2).reshape(b, t, self.n_heads * self.head_dim)
        return F.dropout(F.linear(out, self.w(p + "o_proj.weight")), dropout, self.training)

    def mlp(self, x, layer):
        p = f"model.layers.{layer}.mlp."
        gate = F.silu(F.linear(x, self.w(p + "gate_proj.weight")))
        return F.linear(F.linear(x, self.w(p + "up_proj.weight")) * gate, self.w(p + "down_proj.weight"))

    def forward(self, tokens):
        """tokens: (batch, seq) ids at positions 0..seq-1; returns (batch, seq, vocab) logits."""
        dropout = DROPOUT if self.training else 0.0
        t = tokens.shape[1]
        positions = torch.arange(t)
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = F.dropout(F.embedding(tokens, self.w("model.embed_tokens.weight")), dropout, self.training)
        for layer in range(self.n_layers):
            p = f"model.layers.{layer}."
            x = x + self.attention(self.rms_norm(x, self.w(p + "input_layernorm.weight")), layer, positions,
                                   mask.to(x.dtype), dropout)
            x = x + F.dropout(self.mlp(self.rms_norm(x, self.w(p + "post_attention_layernorm.weight")), layer),
                              dropout, self.training)
        x = self.rms_norm(x, self.w("model.norm.weight"))
        head = self.w("model.embed_tokens.weight" if self.tied else "lm_head.weight")
        return F.linear(x, head)
