"""How much can an update on domain B lift the drafter, and how many labels does it take? (issues 12 and 15)

Serving adapts the drafter with a low-rank OUTPUT adapter (h' = h + B(A h) before the frozen LM head), trained on
verifier labels: the target's own greedy tokens on the traffic it serves. On this drafter every such update has
won little (adapter-sweep: +2-5% tau on B). This measures whether that is the adapter's capacity or the labels'
number, by training on the GPU, from the committed drafter, on N labels of B for N from a few thousand (what a
serving epoch collects) to millions:

  adapter   only a rank-16 output adapter (as serving), CE with the drafter's own chained-block objective
  prenorm   a rank-16 adapter on the residual stream BEFORE the final LayerNorm, x' = x + B(A x): still only
            a LayerNorm's backward away from the head, so a Java trainer could compute its gradient by hand
  lora      rank-16 LoRA on every linear layer of the drafter (input fuse, attention, MLP), frozen weights
  post      the same on the layers after attention only (its output projection and the MLP): they leave the
            cached keys and values valid, and a first slot's gradient needs only its row's attention output
  mlp       the same on the MLP only
  full      every drafter weight (what an online update cannot do today: the Java trainer has no backprop
            through the drafter's layer)

Labels are what serving sees: a random 32-token snippet of B's TRAINING files and the target's greedy
continuation (105 tokens). Held-out agreement per slot on B (its validation files, as in the manifest) tells the
gain; on A, what the update costs the home domain. B is never trained into the committed drafter: this writes
only a JSON report.

  /usr/bin/python3 adapt_headroom.py pack --b-ids B.u32 --out ../work/gpu/data-b.npz   (here: `specserve
                    tokenize` ids of B's training files, as drafter_gpu.py pack writes A's)
  python3 adapt_headroom.py run --mode adapter|full --out OUT.json                     (GPU, or a CPU smoke run)
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hidden_cache as hc  # noqa: E402
import train  # noqa: E402
from drafter_gpu import GpuChunks, move_drafter, self_distilled  # noqa: E402
from model import low_precision_matmuls  # noqa: E402

RANK = 16
PROMPT = 32


def log(*a):
    print(*a, flush=True)


def pack(args):
    ids = np.fromfile(args.b_ids, dtype="<u4")
    if ids.max() >= 2 ** 15:
        raise SystemExit(f"token id {ids.max()} does not fit int16")
    np.savez_compressed(args.out, b_stream=ids.astype(np.int16))
    log(f"  packed {len(ids)} tokens of B's training files into {args.out}")


@torch.no_grad()
def agreement(drafter, windows, K, a, b):
    import drafter_build as db
    return db.agreement(drafter, windows, K, a, b)


class LowRank(torch.nn.Module):
    """y = inner(x) + B(A x) (lora, around a Linear) or inner(x + B(A x)) (prenorm, around the final norm)."""

    def __init__(self, inner, d_in, d_out, dev, before):
        super().__init__()
        self.inner, self.before = inner, before
        g = torch.Generator(device=dev).manual_seed(7 + d_in + d_out)
        self.a = torch.nn.Parameter(torch.randn(RANK, d_in, device=dev, generator=g) * 0.01)
        self.b = torch.nn.Parameter(torch.zeros(d_out, RANK, device=dev))

    def forward(self, x):
        delta = torch.matmul(torch.matmul(x, self.a.t()), self.b.t())
        return self.inner(x + delta) if self.before else self.inner(x) + delta


def wrap(drafter, mode, dev):
    """Puts low-rank modules in place for prenorm / lora; returns their parameters (the only trainable ones)."""
    if mode == "prenorm":
        drafter.norm = LowRank(drafter.norm, drafter.dim, drafter.dim, dev, before=True)
        return [drafter.norm.a, drafter.norm.b]
    params = []
    attn = {"lora": ("q", "k", "v", "o"), "post": ("o",), "mlp": ()}[mode]
    linears = ([(drafter, "fuse_in")] if mode == "lora" else []) + [
        (m, n) for blk in drafter.blocks for m, names in ((blk.attn, attn), (blk, ("up", "down"))) for n in names]
    for owner, name in linears:
        lin = getattr(owner, name)
        w = LowRank(lin, lin.in_features, lin.out_features, dev, before=False)
        setattr(owner, name, w)
        params += [w.a, w.b]
    return params


def unwrap(drafter, mode):
    if mode == "prenorm":
        drafter.norm = drafter.norm.inner
    else:
        for owner in [drafter] + [m for blk in drafter.blocks for m in (blk.attn, blk)]:
            for n in ("fuse_in", "q", "k", "v", "o", "up", "down"):
                if isinstance(getattr(owner, n, None), LowRank):
                    setattr(owner, n, getattr(owner, n).inner)


def fit(drafter, batches, mode, steps_at, lr, batch, val, K, dev):
    """Trains from the drafter's current weights; evaluates held-out agreement at each step count in steps_at."""
    import drafter_build as db
    a = torch.zeros(RANK, drafter.dim, device=dev)
    b = torch.zeros(drafter.dim, RANK, device=dev)
    if mode == "adapter":  # as serving: a small random A, B = 0, so the drafter starts unchanged
        a = torch.nn.Parameter(torch.randn(RANK, drafter.dim, device=dev, generator=torch.Generator(device=dev)
                                           .manual_seed(5)) * 0.01)
        b = torch.nn.Parameter(b)
        for p in drafter.parameters():
            p.requires_grad_(False)
        params = [a, b]
    elif mode in ("prenorm", "lora", "post", "mlp"):
        for p in drafter.parameters():
            p.requires_grad_(False)
        params = wrap(drafter, mode, dev)
    else:
        for p in drafter.parameters():
            p.requires_grad_(True)
        params = list(drafter.parameters())
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.95), weight_decay=0.0)
    gen = torch.Generator().manual_seed(99)
    dtype = train.matmul_dtype("bf16" if dev.type == "cuda" else "auto")
    rows, t0, step = [], time.time(), 0
    for target_steps in steps_at:
        drafter.train()
        while step < target_steps:
            step += 1
            warm = min(1.0, step / 10)
            for g in opt.param_groups:
                g["lr"] = lr * warm
            ids, h, labels = batches.next(batch)
            T = ids.shape[1] - 2 * K - 1
            j2 = int(torch.randint(0, K, (1,), generator=gen).item())
            with low_precision_matmuls(dtype):
                outs = train.drafter_step_outputs(drafter, ids, h, labels, K, j2, db.masks_for(T, K, dev))
                loss, rank_loss, _ = train.drafter_losses(drafter, outs, j2, a, b)
            opt.zero_grad(set_to_none=True)
            (loss + (0.1 * rank_loss if mode == "full" else 0.0)).backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        drafter.eval()
        ad, bd = a.detach(), b.detach()
        rows.append({"steps": step, "seconds": round(time.time() - t0, 1), "loss": round(loss.item(), 4),
                     "agreement_B": agreement(drafter, val["B"], K, ad, bd),
                     "agreement_A": agreement(drafter, val["A"], K, ad, bd)})
        log(f"    {mode} steps {step}: B {rows[-1]['agreement_B']} A {rows[-1]['agreement_A']} "
            f"({rows[-1]['seconds']}s)")
    unwrap(drafter, mode)
    return rows


def run(args):
    import drafter_build as db
    from target_onnx import check_golden, load_target
    dev = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    t0 = time.time()
    target, manifest = load_target(args.models)
    if not args.skip_golden:
        log(f"  target rebuilt; golden logits max diff {check_golden(target, args.models):.1e}")
    d2t = manifest["drafter"]["draft_to_target"]
    arch = dict(K=4, layers=1, heads=3, head_dim=64, mlp_dim=640)
    drafter = move_drafter(db.new_drafter(target, arch, d2t, os.path.join(args.models, "drafter.onnx")), dev)
    initial = {k: v.clone() for k, v in drafter.state_dict().items()}
    target.to(dev)
    data, b_stream = np.load(args.data), np.load(args.b_data)["b_stream"]
    val = {}
    for d in ("A", "B"):
        ids = torch.from_numpy(data[f"val_{d}"].astype(np.int64))[:args.val_windows].to(dev)
        val[d] = (ids, *hc.target_pass(target, ids))
    labels = sorted(args.labels)
    per_chunk = args.chunk - PROMPT
    n_max = math.ceil(labels[-1] / per_chunk)
    chunks = self_distilled(target, b_stream, n_max, args.chunk, PROMPT, 23, dev)
    log(f"  {n_max} chunks of B: {PROMPT} tokens of a training file + {per_chunk} of the target's greedy "
        f"continuation ({time.time() - t0:.0f}s)")
    zero = (torch.zeros(RANK, drafter.dim, device=dev), torch.zeros(drafter.dim, RANK, device=dev))
    report = {"mode": args.mode, "rank": RANK if args.mode != "full" else None, "lr": args.lr,
              "batch": args.batch, "chunk": args.chunk, "val_windows": args.val_windows,
              "bundled": {"agreement_B": agreement(drafter, val["B"], 4, *zero),
                          "agreement_A": agreement(drafter, val["A"], 4, *zero)},
              "hardware": (torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu")
              + f", torch {torch.__version__}", "runs": []}
    log(f"  bundled: {report['bundled']}")
    for n in labels:
        drafter.load_state_dict(initial)
        k = math.ceil(n / per_chunk)
        batches = GpuChunks(target, [chunks[:k]], seed=1234)
        log(f"  {args.mode}: {k * per_chunk} labels ({k} chunks)")
        rows = fit(drafter, batches, args.mode, args.steps, args.lr, args.batch, val, 4, dev)
        report["runs"].append({"labels": k * per_chunk, "chunks": k, "checkpoints": rows})
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
    log(f"  wrote {args.out} ({time.time() - t0:.0f}s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["pack", "run"])
    ap.add_argument("--b-ids", help="pack: uint32 ids of B's training files (bin/specserve tokenize)")
    ap.add_argument("--models", default="../demo")
    ap.add_argument("--data", default="../work/gpu/data.npz", help="drafter_gpu.py pack's file (held-out windows)")
    ap.add_argument("--b-data", default="../work/gpu/data-b.npz")
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", choices=["adapter", "prenorm", "lora", "post", "mlp", "full"], default="adapter")
    ap.add_argument("--labels", type=lambda s: [int(x) for x in s.split(",")], default=[4200, 33600, 268800, 2150400])
    ap.add_argument("--steps", type=lambda s: [int(x) for x in s.split(",")], default=[32, 128, 512])
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--chunk", type=int, default=137)
    ap.add_argument("--val-windows", type=int, default=32)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--skip-golden", action="store_true", help="a smoke run: skip the golden-logits check")
    args = ap.parse_args()
    if args.command == "pack" and not args.b_ids:
        ap.error("pack needs --b-ids")
    {"pack": pack, "run": run}[args.command](args)


if __name__ == "__main__":
    main()
