"""An independent reference forward in numpy (float64), straight from the HF-named weights, no KV cache.

It recomputes the whole sequence every step and shares no code with hf_model.py, so agreement between the
two checks the module, its weight mapping and its cache handling at once.
"""
import math

import numpy as np


def _act(name, x):
    if name == "silu":
        return x / (1 + np.exp(-x))
    if name == "relu":
        return np.maximum(x, 0)
    if name == "gelu":
        return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _rms(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def _ln(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * w + b


def _rope_freqs(spec):
    d = spec.head_dim
    inv = np.array([1.0 / spec.rope_theta ** (2 * i / d) for i in range(d // 2)])
    s = spec.rope_scaling
    if s:
        factor, low, high = s["factor"], s["low_freq_factor"], s["high_freq_factor"]
        old = s["original_max_position_embeddings"]
        out = []
        for f in inv:
            wl = 2 * math.pi / f
            if wl < old / high:
                out.append(f)
            elif wl > old / low:
                out.append(f / factor)
            else:
                smooth = (old / wl - low) / (high - low)
                out.append((1 - smooth) * f / factor + smooth * f)
        inv = np.array(out)
    return inv


def _rope(x, pos, inv):
    """x [S, heads, d], rotate-half convention."""
    ang = np.outer(pos, inv)                        # [S, d/2]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


def _attention(q, k, v, heads, kv_heads):
    """q [S,H,d], k/v [S,KV,d]; causal."""
    S, _, d = q.shape
    out = np.zeros_like(q)
    for h in range(heads):
        g = h // (heads // kv_heads)
        sc = q[:, h] @ k[:, g].T / math.sqrt(d)
        sc = sc + np.triu(np.full((S, S), -np.inf), 1)
        p = np.exp(sc - sc.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        out[:, h] = p @ v[:, g]
    return out.reshape(S, heads * d)


def logits(spec, w, ids):
    """Logits [S, vocab] for the token sequence ids, recomputed from scratch."""
    W = {k: v.double().numpy() for k, v in w.items()}
    S, H, KV, d = len(ids), spec.heads, spec.kv_heads, spec.head_dim
    pos = np.arange(S)
    if spec.family == "gpt2":
        x = W["wte.weight"][ids] + W["wpe.weight"][pos]
        for i in range(spec.layers):
            p = f"h.{i}."
            qkv = _ln(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], spec.norm_eps) @ W[p + "attn.c_attn.weight"] \
                + W[p + "attn.c_attn.bias"]
            q, k, v = (t.reshape(S, H, d) for t in np.split(qkv, 3, axis=-1))
            x = x + _attention(q, k, v, H, H) @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
            m = _ln(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], spec.norm_eps) @ W[p + "mlp.c_fc.weight"] \
                + W[p + "mlp.c_fc.bias"]
            x = x + _act(spec.act, m) @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"]
        h = _ln(x, W["ln_f.weight"], W["ln_f.bias"], spec.norm_eps)
        head = W["wte.weight"]
    else:
        inv = _rope_freqs(spec)
        x = W["embed_tokens.weight"][ids]

        def lin(name, t):
            y = t @ W[name + ".weight"].T
            return y + W[name + ".bias"] if name + ".bias" in W else y

        for i in range(spec.layers):
            p = f"layers.{i}."
            a = _rms(x, W[p + "input_layernorm.weight"], spec.norm_eps)
            q = _rope(lin(p + "self_attn.q_proj", a).reshape(S, H, d), pos, inv)
            k = _rope(lin(p + "self_attn.k_proj", a).reshape(S, KV, d), pos, inv)
            v = lin(p + "self_attn.v_proj", a).reshape(S, KV, d)
            x = x + lin(p + "self_attn.o_proj", _attention(q, k, v, H, KV))
            m = _rms(x, W[p + "post_attention_layernorm.weight"], spec.norm_eps)
            x = x + lin(p + "mlp.down_proj", _act(spec.act, lin(p + "mlp.gate_proj", m)) * lin(p + "mlp.up_proj", m))
        h = _rms(x, W["norm.weight"], spec.norm_eps)
        head = W["embed_tokens.weight"] if spec.tied else W["lm_head.weight"]
    return h @ head.T


def greedy(spec, w, ids, steps):
    seq = list(ids)
    out = []
    for _ in range(steps):
        nxt = int(np.argmax(logits(spec, w, seq)[-1]))
        out.append(nxt)
        seq.append(nxt)
    return out
