"""Hand-written torch modules for the HF Llama / Mistral / Qwen2 / GPT-2 families, exportable with torch 1.13.

Parameter names mirror the HF checkpoints (without the `model.` / `transformer.` prefix), so loading is a
checked name-for-name copy. Attention is written out (no SDPA). Two export wrappers give the two contracts:

  tree     (specserve's own): input_ids, position_ids, additive float mask [B,1,S,P+S], BHSD past
           [B,kv_heads,P,head_dim] read in place (no per-layer concatenation); outputs logits,
           last_hidden_state and the NEW rows only as present [B,S,kv_heads,head_dim].
  optimum  (optimum-cli text-generation-with-past): input_ids, int64 attention_mask [B,P+S], position_ids,
           BHSD past [B,kv_heads,P,head_dim]; outputs logits and present = past + new rows.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from hf_checkpoint import CheckpointError

NEG = -1e9
IGNORED = ("rotary_emb.inv_freq", ".attn.bias", ".attn.masked_bias")


def activation(name, x):
    if name == "silu":
        return F.silu(x)
    if name == "relu":
        return F.relu(x)
    if name == "gelu":
        return F.gelu(x)
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


def inv_freq(spec):
    d = spec.head_dim
    inv = 1.0 / (spec.rope_theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    s = spec.rope_scaling
    if s is None:
        return inv
    factor, low, high = float(s["factor"]), float(s["low_freq_factor"]), float(s["high_freq_factor"])
    old = float(s["original_max_position_embeddings"])
    wavelen = 2 * math.pi / inv
    scaled = torch.where(wavelen > old / low, inv / factor, inv)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < old / high) * ~(wavelen > old / low)
    return torch.where(medium, smoothed, scaled)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LlamaAttention(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s
        self.q_proj = nn.Linear(s.dim, s.heads * s.head_dim, bias=s.qkv_bias)
        self.k_proj = nn.Linear(s.dim, s.kv_heads * s.head_dim, bias=s.qkv_bias)
        self.v_proj = nn.Linear(s.dim, s.kv_heads * s.head_dim, bias=s.qkv_bias)
        self.o_proj = nn.Linear(s.heads * s.head_dim, s.dim, bias=s.o_bias)

    def qkv(self, x, cos, sin):
        B, S, _ = x.shape
        s = self.s
        q = self.q_proj(x).view(B, S, s.heads, s.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, S, s.kv_heads, s.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, S, s.kv_heads, s.head_dim).transpose(1, 2)
        return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin, v


class LlamaLayer(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s
        self.input_layernorm = RMSNorm(s.dim, s.norm_eps)
        self.self_attn = LlamaAttention(s)
        self.post_attention_layernorm = RMSNorm(s.dim, s.norm_eps)
        self.mlp = nn.Module()
        self.mlp.gate_proj = nn.Linear(s.dim, s.mlp_dim, bias=s.mlp_bias)
        self.mlp.up_proj = nn.Linear(s.dim, s.mlp_dim, bias=s.mlp_bias)
        self.mlp.down_proj = nn.Linear(s.mlp_dim, s.dim, bias=s.mlp_bias)

    def forward(self, x, rope, mask, past_k, past_v):
        q, k, v = self.self_attn.qkv(self.input_layernorm(x), *rope)
        a = attend(q, k, v, past_k, past_v, mask, self.s)
        x = x + self.self_attn.o_proj(a)
        m = self.mlp
        h = self.post_attention_layernorm(x)
        return x + m.down_proj(activation(self.s.act, m.gate_proj(h)) * m.up_proj(h)), k, v


class Gpt2Layer(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s
        self.ln_1 = nn.LayerNorm(s.dim, eps=s.norm_eps)
        self.attn = nn.Module()
        self.attn.c_attn = nn.Linear(s.dim, 3 * s.dim)
        self.attn.c_proj = nn.Linear(s.dim, s.dim)
        self.ln_2 = nn.LayerNorm(s.dim, eps=s.norm_eps)
        self.mlp = nn.Module()
        self.mlp.c_fc = nn.Linear(s.dim, s.mlp_dim)
        self.mlp.c_proj = nn.Linear(s.mlp_dim, s.dim)

    def forward(self, x, rope, mask, past_k, past_v):
        B, S, _ = x.shape
        s = self.s
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(s.dim, dim=-1)
        q, k, v = (t.view(B, S, s.heads, s.head_dim).transpose(1, 2) for t in (q, k, v))
        x = x + self.attn.c_proj(attend(q, k, v, past_k, past_v, mask, s))
        return x + self.mlp.c_proj(activation(s.act, self.mlp.c_fc(self.ln_2(x)))), k, v


_split_past = False  # True while TreeExport traces: attention then scores the past in place


def attend(q, k, v, past_k, past_v, mask, s):
    """q [B,H,S,D]; k/v new [B,KV,S,D]; past BHSD; mask additive, broadcastable to [B,1,S,P+S]."""
    if _split_past:
        return attend_in_place(q, k, v, past_k, past_v, mask, s)
    B, _, S, _ = q.shape
    keys = torch.cat([past_k, k], dim=2)
    values = torch.cat([past_v, v], dim=2)
    rep = s.heads // s.kv_heads
    if rep > 1:
        T = keys.shape[2]
        keys = keys.unsqueeze(2).expand(B, s.kv_heads, rep, T, s.head_dim).reshape(B, s.heads, T, s.head_dim)
        values = values.unsqueeze(2).expand(B, s.kv_heads, rep, T, s.head_dim).reshape(B, s.heads, T, s.head_dim)
    scores = torch.matmul(q, keys.transpose(2, 3)) / math.sqrt(s.head_dim)
    probs = torch.softmax(scores + mask, dim=-1)
    return torch.matmul(probs, values).transpose(1, 2).reshape(B, S, s.heads * s.head_dim)


def attend_in_place(q, k, v, past_k, past_v, mask, s):
    """The same attention without copying the past: the past and the new rows are scored by one matmul each
    and share one softmax; GQA groups the query heads of a kv head instead of repeating the kv heads."""
    B, H, S, D = q.shape
    KV, P = s.kv_heads, past_k.shape[2]
    grouped = q.reshape(B, KV, (H // KV) * S, D)
    scores = torch.cat([torch.matmul(grouped, past_k.transpose(2, 3)).reshape(B, H, S, P),
                        torch.matmul(grouped, k.transpose(2, 3)).reshape(B, H, S, S)], dim=-1)
    probs = torch.softmax(scores / math.sqrt(D) + mask, dim=-1)
    out = (torch.matmul(probs[..., :P].reshape(B, KV, (H // KV) * S, P), past_v)
           + torch.matmul(probs[..., P:].reshape(B, KV, (H // KV) * S, S), v))
    return out.reshape(B, H, S, D).transpose(1, 2).reshape(B, S, H * D)


class HfCausalLM(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        s = spec
        if s.family == "gpt2":
            self.wte = nn.Embedding(s.vocab, s.dim)
            self.wpe = nn.Embedding(s.max_pos, s.dim)
            self.h = nn.ModuleList(Gpt2Layer(s) for _ in range(s.layers))
            self.ln_f = nn.LayerNorm(s.dim, eps=s.norm_eps)
        else:
            self.embed_tokens = nn.Embedding(s.vocab, s.dim)
            self.layers = nn.ModuleList(LlamaLayer(s) for _ in range(s.layers))
            self.norm = RMSNorm(s.dim, s.norm_eps)
            self.register_buffer("inv_freq", inv_freq(s), persistent=False)
        if not s.tied:
            self.lm_head = nn.Linear(s.dim, s.vocab, bias=False)

    def embedding(self):
        return self.wte if self.spec.family == "gpt2" else self.embed_tokens

    def head_weight(self):
        return self.embedding().weight if self.spec.tied else self.lm_head.weight

    def forward(self, input_ids, position_ids, mask, pasts):
        """pasts: BHSD key/value per layer, interleaved. Returns logits, hidden, new BHSD keys/values."""
        if self.spec.family == "gpt2":
            x = self.wte(input_ids) + self.wpe(position_ids)
            blocks, final, rope = self.h, self.ln_f, None
        else:
            x = self.embed_tokens(input_ids)
            freqs = position_ids.float().unsqueeze(-1) * self.inv_freq
            emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)  # [B,1,S,D]
            blocks, final, rope = self.layers, self.norm, (emb.cos(), emb.sin())
        presents = []
        for i, blk in enumerate(blocks):
            x, k, v = blk(x, rope, mask, pasts[2 * i], pasts[2 * i + 1])
            presents += [k, v]
        h = final(x)
        return F.linear(h, self.head_weight()), h, presents

    def empty_past(self, B=1):
        s = self.spec
        return [torch.zeros(B, s.kv_heads, 0, s.head_dim)] * (2 * s.layers)

    def load_hf(self, weights):
        """Copies HF-named weights in, checking that every tensor is present with its exact shape."""
        expected = self.state_dict()
        gpt2 = self.spec.family == "gpt2"
        extra = [n for n in weights if n not in expected and not n.endswith(IGNORED)
                 and not (n == "lm_head.weight" and self.spec.tied)]
        if extra:
            raise CheckpointError(f"unexpected tensor(s) for {self.spec.architecture}: {', '.join(sorted(extra)[:5])}")
        with torch.no_grad():
            for name, target in expected.items():
                if name not in weights:
                    raise CheckpointError(f"tensor '{name}' is missing from the checkpoint")
                w = weights[name]
                conv = gpt2 and name.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight"))
                want = tuple(target.t().shape if conv else target.shape)  # GPT-2 Conv1D stores [in, out]
                if tuple(w.shape) != want:
                    raise CheckpointError(f"tensor '{name}' has shape {list(w.shape)}, the config implies {list(want)}")
                w = w.t() if conv else w
                target.copy_(w)


class TreeExport(nn.Module):
    """kv_half: past/present in fp16 (cast at the graph edge), only for measuring that choice (bench/KvDtypeCost)."""

    def __init__(self, m, kv_half=False):
        super().__init__()
        self.m, self.kv_half = m, kv_half

    def forward(self, input_ids, position_ids, attention_mask, *pasts):
        global _split_past
        past = [p.float() if self.kv_half else p for p in pasts]  # BHSD, as attention reads it
        _split_past = True
        try:
            logits, h, presents = self.m(input_ids, position_ids, attention_mask, past)
        finally:
            _split_past = False
        out = [p.transpose(1, 2) for p in presents]  # the new rows only, [B,S,KV,D]
        return (logits, h, *[p.half() if self.kv_half else p for p in out])


def mask_from_2d(attention_mask, S):
    """int64 [B,T] (1 = real token) -> additive [B,1,S,T], causal with the S new tokens at the end."""
    T = attention_mask.shape[1]
    q = torch.arange(S).unsqueeze(1) + (T - S)
    kpos = torch.arange(T).unsqueeze(0)
    causal = torch.where(kpos <= q, torch.zeros(()), torch.full((), NEG))
    pad = (1.0 - attention_mask.float()) * NEG
    return causal.view(1, 1, S, T) + pad.view(attention_mask.shape[0], 1, 1, T)


class OptimumExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, position_ids, *pasts):
        mask = mask_from_2d(attention_mask, input_ids.shape[1])
        logits, _, presents = self.m(input_ids, position_ids, mask, list(pasts))
        full = [torch.cat([p, n], dim=2) for p, n in zip(pasts, presents)]
        return (logits, *full)


@torch.no_grad()
def greedy_with_cache(model, ids, steps):
    """Greedy decoding through the cached forward the graphs export; returns tokens and each step's logits."""
    pasts, P, cur = model.empty_past(1), 0, torch.tensor([ids])
    tokens, logits = [], []
    for _ in range(steps):
        S = cur.shape[1]
        mask = torch.cat([torch.zeros(S, P), torch.triu(torch.full((S, S), NEG), 1)], dim=1).view(1, 1, S, P + S)
        out, _, presents = model(cur, torch.arange(P, P + S).unsqueeze(0), mask, pasts)
        pasts = [torch.cat([p, n], dim=2) for p, n in zip(pasts, presents)]
        P += S
        tokens.append(int(out[0, -1].argmax()))
        logits.append(out[0, -1].clone())
        cur = torch.tensor([[tokens[-1]]])
    return tokens, logits


class OptimumNoPastExport(nn.Module):
    """The no-cache branch of optimum's merged decoder: the same graph without past inputs."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, position_ids):
        mask = mask_from_2d(attention_mask, input_ids.shape[1])
        logits, _, presents = self.m(input_ids, position_ids, mask, self.m.empty_past(input_ids.shape[0]))
        return (logits, *presents)
