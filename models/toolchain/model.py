"""Target LM and SpecBlock-style drafter, written so the same modules train in PyTorch and export to ONNX.

KV-cache convention (both models, documented in the manifest):
  past_key_values.{i}.key/value : [B, P, heads, head_dim]   cached positions, "BSHD" layout; the exported target
                                  takes [B, heads, P, head_dim] ("BHSD", manifest target.past_layout) and scores
                                  the past in place (target_graph.py writes that graph)
  present.{i}.key/value         : [B, S, heads, head_dim]   ONLY the S new positions of this call
The runtime owns the cache and appends/compacts rows itself, so tree verification never copies
the whole cache. attention_mask is additive [B, 1, S, P+S] (0 = attend, -1e9 = blocked), so
a tree is verified in one forward; position ids are explicit.
"""
import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

NEG = -1e9

_MATMUL_DTYPE = None  # set by low_precision_matmuls() while a training step runs


@contextlib.contextmanager
def low_precision_matmuls(dtype):
    """Inside this block the Linear layers and the drafter's LM head multiply in `dtype` (bfloat16), accumulating
    in fp32; weights, norms, softmax and losses stay fp32. On a CPU with native bf16 (AVX512-BF16, AMX) that
    makes a drafter training step about 2x faster; `None` leaves everything fp32 (exports always are)."""
    global _MATMUL_DTYPE
    previous, _MATMUL_DTYPE = _MATMUL_DTYPE, dtype
    try:
        yield
    finally:
        _MATMUL_DTYPE = previous


def linear(x, weight, bias=None):
    if _MATMUL_DTYPE is None:
        return F.linear(x, weight, bias)
    d = _MATMUL_DTYPE
    return F.linear(x.to(d), weight.to(d), None if bias is None else bias.to(d)).float()


class Linear(nn.Linear):
    """nn.Linear that follows low_precision_matmuls (same parameters, same graph when exported)."""

    def forward(self, x):
        return linear(x, self.weight, self.bias)


class BlockMask:
    """The structure of a drafter training mask, so attention computes only what it allows.

    Keys come in groups of T rows (group 0: the T context entries). Every query group k (K of them, T rows each:
    query (k, t)) sees context rows t' <= t, and key row t of each group g >= 1 with allowed[k][g]. A dense
    [K*T, groups*T] mask of this shape is almost all blocked (3/4 in block 1, 7/8 in block 2), so scoring it
    densely wastes most of a training step; this scores T x T per query group plus `groups - 1` keys per row,
    with the same result (a blocked key adds exactly zero either way).
    """

    def __init__(self, T, K, allowed):
        self.T, self.K = T, K
        self.groups = len(allowed[0])
        t = torch.arange(T)
        self.causal = torch.where(t.view(T, 1) >= t.view(1, T), 0.0, NEG)                    # [T, T]
        self.diag = torch.tensor([[0.0 if a else NEG for a in row[1:]] for row in allowed]
                                 ).view(K, 1, self.groups - 1)                                 # [K, 1, G-1]

    def to(self, device):
        """This mask with its two small tables on `device` (a GPU training run)."""
        moved = BlockMask.__new__(BlockMask)
        moved.T, moved.K, moved.groups = self.T, self.K, self.groups
        moved.causal, moved.diag = self.causal.to(device), self.diag.to(device)
        return moved

    def dense(self):
        """The equivalent additive [1, 1, K*T, groups*T] mask (what tests compare against)."""
        T, K, G = self.T, self.K, self.groups
        m = torch.full((K * T, G * T), NEG)
        t = torch.arange(T)
        for k in range(K):
            m[k * T:(k + 1) * T, 0:T] = self.causal
            for g in range(1, G):
                if self.diag[k, 0, g - 1] == 0.0:
                    m[k * T + t, g * T + t] = 0.0
        return m.view(1, 1, K * T, G * T)

    def attend(self, q, keys, values):
        """q [B, h, K*T, d] (already scaled), keys and values [B, h, groups*T, d] -> [B, h, K*T, d]."""
        B, h, S, d = q.shape
        T, K, G = self.T, self.K, self.groups
        q5 = q.view(B, h, K, T, d)
        kc, vc = keys[:, :, :T].unsqueeze(2), values[:, :, :T].unsqueeze(2)                 # [B, h, 1, T, d]
        kd = keys[:, :, T:].reshape(B, h, G - 1, T, d)
        vd = values[:, :, T:].reshape(B, h, G - 1, T, d)
        ctx = torch.matmul(q5, kc.transpose(-1, -2)) + self.causal                           # [B, h, K, T, T]
        diag = torch.einsum("bhktd,bhgtd->bhktg", q5, kd) + self.diag                         # [B, h, K, T, G-1]
        p = torch.softmax(torch.cat([ctx, diag], dim=-1), dim=-1)
        out = torch.matmul(p[..., :T], vc) + torch.einsum("bhktg,bhgtd->bhktd", p[..., T:], vd)
        return out.reshape(B, h, S, d)


def rope_tables(head_dim, max_pos, base=10000.0):
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
    t = torch.arange(max_pos).float()
    freqs = torch.outer(t, inv)
    return torch.cos(freqs), torch.sin(freqs)


def apply_rope(x, cos, sin):
    # x: [B, S, h, d]; cos/sin: [B, S, 1, d/2]
    x1, x2 = x[..., 0::2], x[..., 1::2]
    r1 = x1 * cos - x2 * sin
    r2 = x1 * sin + x2 * cos
    return torch.stack((r1, r2), dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, dim, heads, head_dim):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.q = Linear(dim, heads * head_dim, bias=False)
        self.k = Linear(dim, heads * head_dim, bias=False)
        self.v = Linear(dim, heads * head_dim, bias=False)
        self.o = Linear(heads * head_dim, dim, bias=False)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        B, S, _ = x.shape
        q = apply_rope(self.q(x).view(B, S, self.heads, self.head_dim), cos, sin)
        k = apply_rope(self.k(x).view(B, S, self.heads, self.head_dim), cos, sin)
        v = self.v(x).view(B, S, self.heads, self.head_dim)
        keys = torch.cat([past_k, k], dim=1).transpose(1, 2)      # [B, h, P+S, d]
        values = torch.cat([past_v, v], dim=1).transpose(1, 2)
        if isinstance(mask, BlockMask):  # drafter training: score only what the block structure allows
            out = mask.attend(q.transpose(1, 2) * (1.0 / math.sqrt(self.head_dim)), keys, values)
            return self.o(out.transpose(1, 2).reshape(B, S, self.heads * self.head_dim)), k, v
        if self.training:  # scale the queries, not the [S, P+S] scores: a sixth of a drafter step's time less
            scores = torch.matmul(q.transpose(1, 2) * (1.0 / math.sqrt(self.head_dim)), keys.transpose(2, 3))
        else:  # the exported graphs and their goldens keep the original order of operations
            scores = torch.matmul(q.transpose(1, 2), keys.transpose(2, 3)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores + mask, dim=-1)
        out = torch.matmul(probs, values).transpose(1, 2).reshape(B, S, self.heads * self.head_dim)
        return self.o(out), k, v


class Block(nn.Module):
    def __init__(self, dim, heads, head_dim, mlp_dim):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, head_dim)
        self.ln2 = nn.LayerNorm(dim)
        self.up = Linear(dim, mlp_dim, bias=False)
        self.down = Linear(mlp_dim, dim, bias=False)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        a, k, v = self.attn(self.ln1(x), cos, sin, mask, past_k, past_v)
        x = x + a
        x = x + self.down(F.gelu(self.up(self.ln2(x))))
        return x, k, v


def causal_mask(S, device=None):
    m = torch.full((S, S), NEG, device=device)
    return torch.triu(m, diagonal=1).view(1, 1, S, S)


class TargetLM(nn.Module):
    def __init__(self, vocab, dim, layers, heads, mlp_dim, max_pos):
        super().__init__()
        self.cfg = dict(vocab=vocab, dim=dim, layers=layers, heads=heads, head_dim=dim // heads,
                        mlp_dim=mlp_dim, max_pos=max_pos)
        self.embed = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, dim // heads, mlp_dim) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        cos, sin = rope_tables(dim // heads, max_pos)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        nn.init.normal_(self.embed.weight, std=0.02)

    def lm_head(self, h):
        return F.linear(h, self.embed.weight)  # tied embedding

    def forward(self, input_ids, position_ids, attention_mask, pasts):
        cos = self.rope_cos[position_ids].unsqueeze(2)
        sin = self.rope_sin[position_ids].unsqueeze(2)
        x = self.embed(input_ids)
        presents = []
        for i, blk in enumerate(self.blocks):
            x, k, v = blk(x, cos, sin, attention_mask, pasts[2 * i], pasts[2 * i + 1])
            presents += [k, v]
        h = self.norm(x)
        return self.lm_head(h), h, presents

    def empty_past(self, B, device=None):
        c = self.cfg
        z = torch.zeros(B, 0, c["heads"], c["head_dim"], device=device)
        return [z] * (2 * c["layers"])

    def train_forward(self, ids):
        B, S = ids.shape
        pos = torch.arange(S, device=ids.device).unsqueeze(0).expand(B, S)
        logits, h, _ = self.forward(ids, pos, causal_mask(S, ids.device), self.empty_past(B, ids.device))
        return logits, h


RANK_FEATURES = 15
RANK_CLASSES = 4  # rank 1 -> branch 1; ranks 2-4 -> 4; ranks 5-10 -> 10; beyond -> drop


def rank_class(rank):
    """rank: 0-based rank of the target's token in the drafter's distribution."""
    return torch.where(rank == 0, 0, torch.where(rank < 4, 1, torch.where(rank < 10, 2, 3)))


def distribution_features(logprobs_top20):
    """15 features of a slot's distribution from its sorted top-20 log-probs."""
    top10 = logprobs_top20[..., :10]
    gaps = torch.stack([logprobs_top20[..., 0] - logprobs_top20[..., 1],
                        logprobs_top20[..., 0] - logprobs_top20[..., 2],
                        logprobs_top20[..., 0] - logprobs_top20[..., 4]], dim=-1)
    p = logprobs_top20.exp()
    top1p = p[..., :1]
    q = p / p.sum(-1, keepdim=True)
    entropy = -(q * torch.log(q + 1e-9)).sum(-1, keepdim=True)
    return torch.cat([top10, gaps, top1p, entropy], dim=-1)


class SpecBlockDrafter(nn.Module):
    """Drafter conditioned on target hidden states; one forward yields blocks of K dependent slots.

    Per input position:
      input_ids   token at the slot's anchor (ignored for slots k>0)
      hidden_in   target hidden (context), or the inherited draft hidden (block expansion)
      slot_ids    0 for context/anchor positions, k in 1..K-1 for the k-th slot of a block
      shift_index index (within this call) of the slot's predecessor; an anchor points at itself
    The layer-wise shift fuses each slot's layer-1 output with its predecessor's before layer 2.
    The low-rank adapter h' = h + B(A h) acts on the output path only, and its tensors are inputs.
    """

    def __init__(self, target_cfg, K=4, layers=2, heads=3, head_dim=64, mlp_dim=768, rank_hidden=128,
                 draft_vocab=None):
        super().__init__()
        dim = target_cfg["dim"]
        self.K, self.dim = K, dim
        vocab = target_cfg["vocab"]
        # draft_vocab: the target ids the head covers (the draft-to-target map, d2t); None = the full vocabulary
        d2t = torch.arange(vocab) if draft_vocab is None else torch.as_tensor(draft_vocab, dtype=torch.long)
        self.d2t = d2t
        self.t2d = torch.full((vocab,), -1, dtype=torch.long)
        self.t2d[d2t] = torch.arange(len(d2t))
        self.cfg = dict(dim=dim, K=K, layers=layers, heads=heads, head_dim=head_dim, mlp_dim=mlp_dim,
                        vocab=vocab, draft_vocab=len(d2t), max_pos=target_cfg["max_pos"])
        self.slot_embed = nn.Parameter(torch.randn(K, dim) * 0.02)
        self.fuse_in = Linear(2 * dim, dim, bias=False)
        self.blocks = nn.ModuleList(Block(dim, heads, head_dim, mlp_dim) for _ in range(layers))
        self.shift_fuse = nn.ModuleList(Linear(2 * dim, dim, bias=False) for _ in range(layers - 1))
        self.norm = nn.LayerNorm(dim)
        self.rank_head = nn.Sequential(Linear(dim + RANK_FEATURES, rank_hidden), nn.GELU(),
                                       Linear(rank_hidden, RANK_CLASSES))
        cos, sin = rope_tables(head_dim, target_cfg["max_pos"])
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.embed_weight = None  # frozen target embedding (input tokens), attached by attach_target
        self.head_weight = None   # its rows for the draft vocabulary: the drafter's frozen LM head

    def attach_target(self, target):
        self.embed_weight = target.embed.weight.detach()
        self.head_weight = self.embed_weight[self.d2t].contiguous()

    def trunk(self, input_ids, hidden_in, slot_ids, shift_index, position_ids, mask, pasts):
        tok = F.embedding(input_ids, self.embed_weight)
        slot = self.slot_embed[slot_ids]
        e = torch.where((slot_ids == 0).unsqueeze(-1), tok, slot)
        x = self.fuse_in(torch.cat([hidden_in, e], dim=-1))
        cos = self.rope_cos[position_ids].unsqueeze(2)
        sin = self.rope_sin[position_ids].unsqueeze(2)
        presents = []
        for i, blk in enumerate(self.blocks):
            if i > 0:
                shifted = torch.index_select(x, 1, shift_index)
                x = x + self.shift_fuse[i - 1](torch.cat([x, shifted], dim=-1))
            x, k, v = blk(x, cos, sin, mask, pasts[2 * i], pasts[2 * i + 1])
            presents += [k, v]
        return self.norm(x), presents

    def logits(self, h, adapter_a, adapter_b):
        """Draft-vocabulary logits of the adapted hidden state (index i is target token d2t[i])."""
        adapted = h + torch.matmul(torch.matmul(h, adapter_a.t()), adapter_b.t())
        return linear(adapted, self.head_weight)

    def rank_logits(self, h, logprobs):
        top20 = torch.topk(logprobs, 20, dim=-1).values
        return self.rank_head(torch.cat([h, distribution_features(top20)], dim=-1))

    def empty_past(self, B, device=None):
        z = torch.zeros(B, 0, self.cfg["heads"], self.cfg["head_dim"], device=device)
        return [z] * (2 * self.cfg["layers"])


class DrafterExport(nn.Module):
    """ONNX entry point: trunk + adapter + top-k + rank head in one graph. topk_ids are draft-vocabulary
    indices; the runtime maps them to target ids with the manifest's draft_to_target map."""

    def __init__(self, drafter, topk=10):
        super().__init__()
        self.d, self.topk = drafter, topk

    def forward(self, input_ids, hidden_in, slot_ids, shift_index, position_ids, attention_mask,
                adapter_a, adapter_b, *pasts):
        h, presents = self.d.trunk(input_ids, hidden_in, slot_ids, shift_index, position_ids,
                                   attention_mask, list(pasts))
        base = F.linear(h, self.d.head_weight)
        adapted = base + F.linear(torch.matmul(torch.matmul(h, adapter_a.t()), adapter_b.t()), self.d.head_weight)
        top_lp, top_ids = torch.topk(torch.log_softmax(adapted, dim=-1), self.topk, dim=-1)
        # the rank head reads the UNADAPTED distribution, so an adapter update re-ranks without narrowing branching
        base_top20 = torch.topk(torch.log_softmax(base, dim=-1), 20, dim=-1).values
        rank = self.d.rank_head(torch.cat([h, distribution_features(base_top20)], dim=-1))
        return (h, top_ids, top_lp, rank, *presents)
