"""Training loops for the target LM and the SpecBlock drafter, with progress output."""
import math
import time

import torch
import torch.nn.functional as F

from model import NEG, causal_mask, low_precision_matmuls, rank_class


class Progress:
    def __init__(self, name, total_steps, log=print, every=25):
        self.name, self.total, self.log, self.every = name, total_steps, log, every
        self.t0 = time.time()
        self.tokens = 0

    def step(self, i, tokens, **metrics):
        self.tokens += tokens
        if i % self.every == 0 or i == self.total:
            el = time.time() - self.t0
            eta = el / max(i, 1) * (self.total - i)
            ms = " ".join(f"{k}={v:.4f}" for k, v in metrics.items())
            self.log(f"[{self.name}] step {i}/{self.total} {ms} tok/s={self.tokens / el:.0f} "
                     f"elapsed={el:.0f}s eta={eta:.0f}s", flush=True)


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup))))


def batch_from(streams, weights, batch, length, gen):
    """Random windows of length+1 tokens; each row picks a domain stream by weight."""
    rows = []
    choice = torch.multinomial(torch.tensor(weights, dtype=torch.float), batch, replacement=True, generator=gen)
    for c in choice.tolist():
        s = streams[c]
        start = torch.randint(0, len(s) - length - 1, (1,), generator=gen).item()
        rows.append(s[start:start + length + 1])
    return torch.stack(rows).long()


def train_target(model, streams, weights, cfg, log=print):
    gen = torch.Generator().manual_seed(cfg["seed"])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], betas=(0.9, 0.95), weight_decay=0.1)
    prog = Progress("target", cfg["steps"], log)
    model.train()
    for step in range(1, cfg["steps"] + 1):
        for g in opt.param_groups:
            g["lr"] = lr_at(step - 1, cfg["steps"], cfg["lr"], cfg["warmup"])
        ids = batch_from(streams, weights, cfg["batch"], cfg["seq"], gen)
        logits, _ = model.train_forward(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        prog.step(step, ids.numel(), loss=loss.item(), lr=opt.param_groups[0]["lr"])
    model.eval()
    return time.time() - prog.t0


@torch.no_grad()
def eval_target(model, stream, seq, max_windows=24):
    losses = []
    n = min(max_windows, (len(stream) - 1) // seq)
    for i in range(n):
        ids = stream[i * seq:i * seq + seq + 1].long().unsqueeze(0)
        logits, _ = model.train_forward(ids[:, :-1])
        losses.append(F.cross_entropy(logits[0], ids[0, 1:]).item())
    return sum(losses) / max(1, len(losses))


# ---------------------------------------------------------------- drafter

def block_layout(T, K):
    """Index of slot (anchor t, slot k) in the parallel layout [ctx; slot1; ...; slot K-1]."""
    return lambda t, k: k * T + t


def block1_mask(T, K, device=None):
    """Query (t,k) sees context t' <= t and its own block's slots 1..k."""
    S = T * K
    m = torch.full((S, S), NEG, device=device)
    t = torch.arange(T, device=device)
    ctx_allowed = (t.view(T, 1) >= t.view(1, T))  # [t, t']
    for k in range(K):
        rows = slice(k * T, (k + 1) * T)
        m[rows, 0:T] = torch.where(ctx_allowed, 0.0, NEG)
        for j in range(1, k + 1):
            m[k * T + t, j * T + t] = 0.0
    return m.view(1, 1, S, S)


def block2_mask(T, K, j, device=None):
    """Block 2 anchored at block-1 slot j of anchor t: sees ctx <= t, block-1 slots (t,1..j), own slots."""
    S = T * K
    m = torch.full((S, 2 * S), NEG, device=device)
    t = torch.arange(T, device=device)
    ctx_allowed = torch.where(t.view(T, 1) >= t.view(1, T), 0.0, NEG)
    for k in range(K):
        rows = k * T + t
        m[k * T:(k + 1) * T, 0:T] = ctx_allowed
        for jj in range(1, j + 1):
            m[rows, jj * T + t] = 0.0
        for kk in range(0, k + 1):
            m[rows, S + kk * T + t] = 0.0
    return m.view(1, 1, S, 2 * S)


def matmul_dtype(choice="auto"):
    """The dtype training multiplies in (model.low_precision_matmuls): bfloat16 where this CPU multiplies it
    natively ('auto' times both on a layer-sized product: emulated bf16 is slower than fp32), else None (fp32)."""
    if choice == "fp32":
        return None
    if choice == "bf16":
        return torch.bfloat16
    if choice != "auto":
        raise ValueError(f"matmul precision must be auto, bf16 or fp32, got {choice!r}")
    pairs = [(torch.randn(2048, 320), torch.randn(320, 640))]
    pairs.append((pairs[0][0].bfloat16(), pairs[0][1].bfloat16()))
    best = [float("inf"), float("inf")]
    for _ in range(6):  # interleaved, best of six: robust to a neighbour's load
        for i, (x, y) in enumerate(pairs):
            t0 = time.perf_counter()
            x @ y
            best[i] = min(best[i], time.perf_counter() - t0)
    return torch.bfloat16 if 1.5 * best[1] < best[0] else None


def block1_structure(T, K):
    """block1_mask as a BlockMask: query (t,k) sees context t' <= t and its own block's slots 1..k."""
    from model import BlockMask
    return BlockMask(T, K, [[True] + [1 <= g <= k for g in range(1, K)] for k in range(K)])


def block2_structure(T, K, j):
    """block2_mask as a BlockMask: ctx <= t, block-1 slots (t,1..j), then its own block's slots 0..k."""
    from model import BlockMask
    return BlockMask(T, K, [[True] + [1 <= g <= j for g in range(1, K)] + [kk <= k for kk in range(K)]
                            for k in range(K)])


def drafter_step_outputs(drafter, ids, h, labels, K, j2, masks):
    """Runs block 1 over every anchor in parallel, then block 2 chained from slot j2.

    ids:    [B, T+2K+1] tokens; h: target hidden at those positions; labels[:, p] = target argmax
            for position p (prediction made at p-1).
    Returns a list of (hidden, label, valid, weight) per slot group.
    """
    B = ids.shape[0]
    T = ids.shape[1] - 2 * K - 1
    dev = ids.device
    t = torch.arange(T, device=dev)
    zeros = torch.zeros(B, T, dtype=torch.long, device=dev)
    # ----- block 1: context entries (h_t, x_{t+1}) at position t+1, plus mask slots k=1..K-1
    inp_ids = torch.cat([ids[:, 1:T + 1]] + [zeros] * (K - 1), dim=1)
    hid = torch.cat([h[:, :T]] * K, dim=1)
    slots = torch.cat([torch.full((T,), k, device=dev) for k in range(K)]).long()
    shift = torch.cat([t] + [(k - 1) * T + t for k in range(1, K)]).long()
    pos = torch.cat([t + 1 + k for k in range(K)]).unsqueeze(0).expand(B, -1)
    h1, presents = drafter.trunk(inp_ids, hid, slots.unsqueeze(0).expand(B, -1), shift, pos,
                                 masks["b1"], drafter.empty_past(B, dev))
    out = []
    for k in range(K):
        out.append((h1[:, k * T:(k + 1) * T], labels[:, t + 2 + k], k, 1))
    # ----- block 2: anchored at block-1 slot j2 with its label token, position t+2+j2
    anchor_h = h1[:, j2 * T:(j2 + 1) * T].detach()
    anchor_tok = labels[:, t + 2 + j2]
    inp2 = torch.cat([anchor_tok] + [zeros] * (K - 1), dim=1)
    hid2 = torch.cat([anchor_h] * K, dim=1)
    shift2 = shift
    pos2 = torch.cat([t + 2 + j2 + k for k in range(K)]).unsqueeze(0).expand(B, -1)
    h2, _ = drafter.trunk(inp2, hid2, slots.unsqueeze(0).expand(B, -1), shift2, pos2,
                          masks[f"b2_{j2}"], presents)
    for k in range(K):
        out.append((h2[:, k * T:(k + 1) * T], labels[:, t + 3 + j2 + k], k, 2))
    return out


def drafter_losses(drafter, slot_outputs, j2, zero_a, zero_b, decay=0.8):
    """Cross-entropy toward the target's tokens under the valid-prefix mask, weighted decay**k.

    A slot counts only while every earlier slot of its block was predicted correctly; block 2
    additionally needs block 1 correct up to and including its anchor slot j2.
    """
    total, rank_total, n_rank = 0.0, 0.0, 0.0
    stats = {}
    prefix_ok, block1_ok_at_anchor = None, None
    for hidden, label, k, blk in slot_outputs:
        if k == 0:
            prefix_ok = torch.ones_like(label, dtype=torch.bool) if blk == 1 else block1_ok_at_anchor
        logprobs = torch.log_softmax(drafter.logits(hidden, zero_a, zero_b), dim=-1)
        draft_label = drafter.t2d[label]          # -1: a target token outside the draft vocabulary
        drafted = draft_label >= 0
        label_lp = logprobs.gather(-1, draft_label.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        valid = prefix_ok.float()
        learnable = (prefix_ok & drafted).float()
        total = total + (decay ** k) * (-label_lp * learnable).sum() / learnable.sum().clamp(min=1)
        with torch.no_grad():
            rank = torch.where(drafted, (logprobs > label_lp.unsqueeze(-1)).sum(-1), torch.full_like(label, 10 ** 6))
            hit = rank == 0
            stats[f"acc_b{blk}_s{k}"] = (hit.float() * valid).sum().item() / max(1.0, valid.sum().item())
        rl = drafter.rank_logits(hidden.detach(), logprobs.detach())
        rank_nll = F.cross_entropy(rl.reshape(-1, rl.shape[-1]), rank_class(rank).reshape(-1), reduction="none")
        rank_total = rank_total + (rank_nll * valid.reshape(-1)).sum()
        n_rank += valid.sum().item()
        if blk == 1 and k == j2:
            block1_ok_at_anchor = prefix_ok & hit
        prefix_ok = prefix_ok & hit
    return total, rank_total / max(1.0, n_rank), stats


def train_drafter(drafter, target, stream, cfg, log=print):
    gen = torch.Generator().manual_seed(cfg["seed"] + 1)
    K, T, B = drafter.K, cfg["seq"], cfg["batch"]
    params = [p for p in drafter.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg["lr"], betas=(0.9, 0.95), weight_decay=0.0)
    masks = {"b1": block1_structure(T, K)}
    for j in range(K):
        masks[f"b2_{j}"] = block2_structure(T, K, j)
    zero_a = torch.zeros(8, drafter.dim)
    zero_b = torch.zeros(drafter.dim, 8)
    dtype = matmul_dtype(cfg.get("matmul", "auto"))
    prog = Progress("drafter", cfg["steps"], log)
    log(f"  drafter training multiplies in {dtype or torch.float32}")
    drafter.train()
    for step in range(1, cfg["steps"] + 1):
        for g in opt.param_groups:
            g["lr"] = lr_at(step - 1, cfg["steps"], cfg["lr"], cfg["warmup"])
        ids = batch_from([stream], [1.0], B, T + 2 * K, gen)
        with torch.no_grad():
            tlogits, h = target.train_forward(ids)
            labels = torch.cat([ids[:, :1], tlogits.argmax(-1)[:, :-1]], dim=1)  # labels[:, p] predicts p
        j2 = int(torch.randint(0, K, (1,), generator=gen).item())
        with low_precision_matmuls(dtype):
            outs = drafter_step_outputs(drafter, ids, h, labels, K, j2, masks)
            loss, rank_loss, stats = drafter_losses(drafter, outs, j2, zero_a, zero_b)
        opt.zero_grad(set_to_none=True)
        (loss + 0.1 * rank_loss).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        prog.step(step, B * T, loss=loss.item(), rank=rank_loss.item(),
                  acc0=stats["acc_b1_s0"], acc3=stats[f"acc_b1_s{K - 1}"])
    drafter.eval()
    return time.time() - prog.t0


@torch.no_grad()
def eval_drafter(drafter, target, stream, K, seq=128, max_windows=16):
    """Top-1 agreement with the target's greedy token, per block slot (first block), on a stream."""
    masks = {"b1": block1_structure(seq, K)}
    for j in range(K):
        masks[f"b2_{j}"] = block2_structure(seq, K, j)
    zero_a = torch.zeros(8, drafter.dim)
    zero_b = torch.zeros(drafter.dim, 8)
    hits = [0.0] * K
    count = 0
    n = min(max_windows, (len(stream) - 1) // (seq + 2 * K + 1))
    span = seq + 2 * K + 1
    for i in range(n):
        ids = stream[i * span:(i + 1) * span].long().unsqueeze(0)
        tlogits, h = target.train_forward(ids)
        labels = torch.cat([ids[:, :1], tlogits.argmax(-1)[:, :-1]], dim=1)
        outs = drafter_step_outputs(drafter, ids, h, labels, K, 0, masks)
        for hidden, label, k, blk in outs:
            if blk == 1:
                pred = drafter.d2t[drafter.logits(hidden, zero_a, zero_b).argmax(-1)]
                hits[k] += (pred == label).float().sum().item()
        count += seq
    return [hh / max(1, count) for hh in hits]
