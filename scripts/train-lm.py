#!/usr/bin/env python3
"""Train Hypha's shipped language model: a small Llama-family decoder on
Debian's `fortunes` corpus, written out in Hugging Face layout.

This script is how `data/fortune-lm/` was made; nothing at run time or in CI
runs it. It needs PyTorch, tokenizers, safetensors and numpy from PyPI and
the text of Debian's `fortunes` and `fortunes-min` packages
(`apt-get install fortunes`, files in /usr/share/games/fortunes):

    python3 -m venv /tmp/trainenv
    /tmp/trainenv/bin/pip install torch tokenizers safetensors numpy
    /tmp/trainenv/bin/python scripts/train-lm.py --out data/fortune-lm --minutes 30

What it writes:

- `config.json`: a `LlamaForCausalLM` config (RMSNorm, rotary positions,
  SwiGLU, grouped-query attention, tied embeddings).
- `model.safetensors`: the weights in float16, with Hugging Face's names.
- `tokenizer.json`: a byte-level BPE tokenizer trained on the same text.
- `calibration.txt`: training text the importer calibrates on.
- `heldout.txt`: fortunes never trained on (every 20th), for `make lm-check`.

The model is the textbook Llama block, written out here so that nothing
hides: x + attn(rmsnorm(x)), then h + mlp(rmsnorm(h)), with Hugging Face's
`rotate_half` rotary layout.
"""

import argparse
import glob
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

EOS = "<|endoftext|>"


def read_fortunes(root):
    """Every fortune (entries are separated by a line holding '%')."""
    entries = []
    for path in sorted(glob.glob(os.path.join(root, "*"))):
        if path.endswith(".dat") or os.path.islink(path) or os.path.isdir(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for entry in text.split("\n%\n"):
            entry = entry.strip("\n%")
            if entry.strip():
                entries.append(entry.strip("\n"))
    return entries


def train_tokenizer(texts, vocab):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return tok


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, h, kv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        hd = d // h
        self.h, self.kv, self.hd = h, kv, hd
        self.input_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.q_proj = nn.Linear(d, h * hd, bias=False)
        self.k_proj = nn.Linear(d, kv * hd, bias=False)
        self.v_proj = nn.Linear(d, kv * hd, bias=False)
        self.o_proj = nn.Linear(h * hd, d, bias=False)
        f = c["intermediate_size"]
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        y = self.input_layernorm(x)
        q = self.q_proj(y).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.h // self.kv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o_proj(a.transpose(1, 2).reshape(b, t, -1))
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Block(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        hd = c["hidden_size"] // c["num_attention_heads"]
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
        freqs = torch.outer(torch.arange(c["max_position_embeddings"]).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)
        # GPT-2's initialisation: N(0, 0.02), residual projections scaled down.
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * c["num_hidden_layers"]) if name.endswith(("o_proj.weight", "down_proj.weight")) else 0.02
                nn.init.normal_(p, std=std)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embed_tokens(ids)
        cos, sin = self.cos[:t], self.sin[:t]
        for layer in self.layers:
            x = layer(x, cos, sin)
        return self.norm(x) @ self.embed_tokens.weight.T


def hf_state_dict(model):
    out = {"model.embed_tokens.weight": model.embed_tokens.weight, "model.norm.weight": model.norm.weight}
    for i, l in enumerate(model.layers):
        p = f"model.layers.{i}."
        out[p + "input_layernorm.weight"] = l.input_layernorm.weight
        out[p + "post_attention_layernorm.weight"] = l.post_attention_layernorm.weight
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            out[p + f"self_attn.{name}.weight"] = getattr(l, name).weight
        for name in ("gate_proj", "up_proj", "down_proj"):
            out[p + f"mlp.{name}.weight"] = getattr(l, name).weight
    return {k: v.detach().to(torch.float16).contiguous() for k, v in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/usr/share/games/fortunes")
    ap.add_argument("--out", default="data/fortune-lm")
    ap.add_argument("--minutes", type=float, default=30.0, help="wall-clock training budget")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    entries = read_fortunes(args.corpus)
    heldout = entries[::20]
    train = [e for i, e in enumerate(entries) if i % 20 != 0]
    print(f"{len(entries)} fortunes: {len(train)} train, {len(heldout)} held out")

    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": 1024,
        "hidden_size": 192,
        "intermediate_size": 512,
        "num_hidden_layers": 4,
        "num_attention_heads": 6,
        "num_key_value_heads": 2,
        "hidden_act": "silu",
        "max_position_embeddings": 256,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "attention_bias": False,
        "torch_dtype": "float16",
        "bos_token_id": 0,
        "eos_token_id": 0,
    }
    tok = train_tokenizer(train, config["vocab_size"])
    eos = tok.token_to_id(EOS)
    assert eos == 0, eos

    def encode(texts):
        ids = []
        for t in texts:
            ids.extend(tok.encode(t).ids)
            ids.append(eos)
        return torch.tensor(ids, dtype=torch.long)

    train_ids, held_ids = encode(train), encode(heldout)
    print(f"tokens: {len(train_ids)} train, {len(held_ids)} held out")

    model = Llama(config)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params}")
    ctx, batch = 128, 32
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.1)

    def batch_of(ids, n):
        starts = torch.randint(0, len(ids) - ctx - 1, (n,))
        x = torch.stack([ids[s : s + ctx] for s in starts])
        y = torch.stack([ids[s + 1 : s + ctx + 1] for s in starts])
        return x, y

    def held_loss():
        model.eval()
        with torch.no_grad():
            losses = []
            for s in range(0, len(held_ids) - ctx - 1, ctx):
                x = held_ids[s : s + ctx][None]
                y = held_ids[s + 1 : s + ctx + 1][None]
                losses.append(F.cross_entropy(model(x).view(-1, config["vocab_size"]), y.view(-1)).item())
        model.train()
        return sum(losses) / len(losses)

    budget = args.minutes * 60
    start = time.time()
    step, warmup = 0, 200
    best = (float("inf"), None)
    while time.time() - start < budget:
        frac = min(1.0, (time.time() - start) / budget)
        lr = 3e-3 * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch_of(train_ids, batch)
        loss = F.cross_entropy(model(x).view(-1, config["vocab_size"]), y.view(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 200 == 0:
            hl = held_loss()
            print(f"step {step} {time.time() - start:.0f}s lr {lr:.2e} train {loss.item():.3f} held {hl:.3f} (ppl {math.exp(hl):.1f})", flush=True)
            if hl < best[0]:
                best = (hl, {k: v.clone() for k, v in model.state_dict().items()})
    if best[1] is not None:
        model.load_state_dict(best[1])
    hl = held_loss()
    print(f"final held-out loss {hl:.3f} (perplexity {math.exp(hl):.1f}) after {step} steps")

    os.makedirs(args.out, exist_ok=True)
    save_file(hf_state_dict(model), os.path.join(args.out, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    tok.save(os.path.join(args.out, "tokenizer.json"))
    rng = random.Random(args.seed)
    calib = rng.sample(train, 200)
    with open(os.path.join(args.out, "calibration.txt"), "w") as f:
        f.write("\n\n".join(calib) + "\n")
    with open(os.path.join(args.out, "heldout.txt"), "w") as f:
        f.write("\n\n".join(heldout[:300]) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
