"""Drafter-only build: rebuilds the frozen target from the committed target.onnx, caches its hidden states
once, and trains, evaluates and exports a SpecBlock drafter with a reduced draft vocabulary.

Usage: /usr/bin/python3 drafter_build.py COMMAND --models ../demo --work ../work [options]
  cache        caches the target's hidden states over domain A's training files and --self-distilled chunks
  sweep        short trainings per draft-vocabulary size N; prints agreement and block cost per N
  train        trains one drafter (until --minutes or --steps), logging the learning curve
  export       writes drafter.onnx, the drafter goldens and the manifest's drafter section into --models
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
import corpus  # noqa: E402
import hidden_cache as hc  # noqa: E402
import train  # noqa: E402
from model import SpecBlockDrafter, low_precision_matmuls  # noqa: E402
from target_onnx import check_golden, load_target, load_state  # noqa: E402


def log(*a, **k):
    k.setdefault("flush", True)
    print(*a, **k)


def draft_vocab(stores, n, vocab):
    """The n target tokens most often chosen by the target's greedy decoding over the cached training text."""
    counts = np.zeros(vocab, dtype=np.int64)
    for s in stores:
        counts += np.bincount(np.asarray(s.labels[:s.filled]).reshape(-1).astype(np.int64), minlength=vocab)
    order = np.argsort(-counts, kind="stable")[:n]
    return sorted(order.tolist()), float(counts[order].sum() / counts.sum())


class CachedBatches:
    """Random chunks from the cache stores, weighted by their filled sizes (re-read as a cache grows)."""

    def __init__(self, roots, seed):
        self.roots, self.rng = roots, np.random.default_rng(seed)
        self.refresh()

    def refresh(self):
        self.stores = [hc.ChunkStore.open(r) for r in self.roots if os.path.exists(os.path.join(r, "progress.json"))]
        self.sizes = np.array([s.filled for s in self.stores], dtype=np.float64)

    def next(self, batch):
        which = self.rng.choice(len(self.stores), size=batch, p=self.sizes / self.sizes.sum())
        rows = [int(self.rng.integers(0, self.stores[w].filled)) for w in which]
        ids = torch.from_numpy(np.stack([self.stores[w].ids[r] for w, r in zip(which, rows)]).astype(np.int64))
        h = torch.from_numpy(np.stack([self.stores[w].hidden[r] for w, r in zip(which, rows)]).astype(np.float32))
        labels = torch.from_numpy(np.stack([self.stores[w].labels[r] for w, r in zip(which, rows)]).astype(np.int64))
        return ids, h, labels


def val_windows(target, texts, tok, C, n):
    """n consecutive C-token windows of held-out text, with the target's hidden states and greedy labels."""
    ids = []
    for t in texts:
        ids.extend(tok.encode(t))
        ids.append(tok.eos_id)
        if len(ids) >= n * C:
            break
    x = torch.tensor(ids[:n * C], dtype=torch.long).view(-1, C)
    h, labels = hc.target_pass(target, x)
    return x, h, labels


@torch.no_grad()
def agreement(drafter, windows, K, adapter_a=None, adapter_b=None):
    """Top-1 agreement with the target's greedy token per slot of the first block (not prefix-conditioned), with
    the output adapter (adapter_a, adapter_b) applied when given."""
    ids, h, labels = windows
    T = ids.shape[1] - 2 * K - 1
    masks = masks_for(T, K, ids.device)
    zero_a = adapter_a if adapter_a is not None else torch.zeros(8, drafter.dim, device=ids.device)
    zero_b = adapter_b if adapter_b is not None else torch.zeros(drafter.dim, 8, device=ids.device)
    hits, count = [0.0] * K, 0
    for i in range(0, ids.shape[0], 8):
        outs = train.drafter_step_outputs(drafter, ids[i:i + 8], h[i:i + 8], labels[i:i + 8], K, 0, masks)
        for hidden, label, k, blk in outs:
            if blk == 1:
                pred = drafter.d2t[drafter.logits(hidden, zero_a, zero_b).argmax(-1)]
                hits[k] += (pred == label).float().sum().item()
        count += ids[i:i + 8].shape[0] * T
    return [round(x / count, 4) for x in hits]


_MASKS = {}


def masks_for(T, K, device="cpu"):
    key = (T, K, str(device))
    if key not in _MASKS:
        m = {"b1": train.block1_structure(T, K)}  # block-structured: 2.5x faster than dense masks, same result
        for j in range(K):
            m[f"b2_{j}"] = train.block2_structure(T, K, j)
        _MASKS[key] = {name: mask.to(device) for name, mask in m.items()}
    return _MASKS[key]


def new_drafter(target, arch, d2t, init_from=None):
    torch.manual_seed(1234)
    d = SpecBlockDrafter(target.cfg, draft_vocab=d2t, **arch)
    d.attach_target(target)
    if init_from:
        state = load_state(init_from, ("drafter.", "d."))
        own = d.state_dict()
        usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        own.update(usable)
        d.load_state_dict(own)
        log(f"  initialised {len(usable)}/{len(own)} drafter tensors from {init_from}")
        grown = sorted({int(k.split(".")[1]) for k in own if k.startswith("blocks.")} -
                       {int(k.split(".")[1]) for k in usable if k.startswith("blocks.")})
        if grown:  # a deeper drafter than the file: new layers start as the identity, so it drafts as the file did
            with torch.no_grad():
                for i in grown:
                    d.blocks[i].attn.o.weight.zero_()
                    d.blocks[i].down.weight.zero_()
                    d.shift_fuse[i - 1].weight.zero_()
            log(f"  grown by layer(s) {grown}, each starting as the identity (zero output projections)")
    return d


def train_cached(drafter, batches, cfg, val, K, deadline=None, curve=None, log_every=50, eval_every=None):
    """AdamW on cached chunks with the chained-block, valid-prefix objective of train.drafter_losses."""
    gen = torch.Generator().manual_seed(cfg["seed"] + 1)
    params = [p for p in drafter.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg["lr"], betas=(0.9, 0.95), weight_decay=0.0)
    dev = params[0].device
    zero_a, zero_b = torch.zeros(8, drafter.dim, device=dev), torch.zeros(drafter.dim, 8, device=dev)
    t0, seen, step = time.time(), 0, 0
    steps = cfg["steps"]
    dtype = train.matmul_dtype(cfg.get("matmul", "auto"))
    log(f"  drafter training multiplies in {dtype or torch.float32}")
    drafter.train()
    while step < steps:
        step += 1
        if deadline and time.time() >= deadline:
            log(f"  deadline reached after {step - 1} steps")
            break
        if deadline:  # a time budget: the cosine decay runs over the time, so it ends annealed whatever the speed
            frac = (time.time() - t0) / max(1e-9, deadline - t0)
            lr = train.lr_at(step - 1, step + 1, cfg["lr"], cfg["warmup"]) if step <= cfg["warmup"] else \
                cfg["lr"] * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))
        else:
            lr = train.lr_at(step - 1, steps, cfg["lr"], cfg["warmup"])
        for g in opt.param_groups:
            g["lr"] = lr
        ids, h, labels = batches.next(cfg["batch"])
        T = ids.shape[1] - 2 * K - 1
        j2 = int(torch.randint(0, K, (1,), generator=gen).item())
        with low_precision_matmuls(dtype):
            outs = train.drafter_step_outputs(drafter, ids, h, labels, K, j2, masks_for(T, K, dev))
            loss, rank_loss, stats = train.drafter_losses(drafter, outs, j2, zero_a, zero_b)
        opt.zero_grad(set_to_none=True)
        (loss + 0.1 * rank_loss).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        seen += cfg["batch"] * T
        if step % log_every == 0:
            el = time.time() - t0
            log(f"  [drafter] step {step}/{steps} loss={loss.item():.3f} acc0={stats['acc_b1_s0']:.3f} "
                f"acc1={stats['acc_b1_s1']:.3f} tok/s={seen / el:.0f} elapsed={el:.0f}s", flush=True)
            batches.refresh()
        if curve is not None and eval_every and step % eval_every == 0:
            drafter.eval()
            curve.append({"tokens": seen, "steps": step, "seconds": round(time.time() - t0, 1),
                          "agreement_A": agreement(drafter, val, K)})
            log(f"  [curve] {curve[-1]}")
            drafter.train()
    drafter.eval()
    return dict(steps=step, tokens=seen, seconds=round(time.time() - t0, 1))


@torch.no_grad()
def block_cost_ms(drafter, past=256, rows=4, reps=200):
    """Wall time of one serving-like drafter call (an anchor + K-1 slots over a past) in torch, 1 thread."""
    from model import DrafterExport
    c = drafter.cfg
    exp = DrafterExport(drafter)
    pasts = [torch.randn(1, past, c["heads"], c["head_dim"]) for _ in range(2 * c["layers"])]
    args = (torch.zeros(1, rows, dtype=torch.long), torch.randn(1, rows, drafter.dim),
            torch.arange(rows).unsqueeze(0), torch.tensor([0] + list(range(rows - 1))),
            torch.arange(past, past + rows).unsqueeze(0), torch.zeros(1, 1, rows, past + rows),
            torch.zeros(16, drafter.dim), torch.zeros(drafter.dim, 16), *pasts)
    for _ in range(10):
        exp(*args)
    t0 = time.perf_counter()
    for _ in range(reps):
        exp(*args)
    return (time.perf_counter() - t0) / reps * 1e3


def export_candidate(args, target, manifest, val):
    """Writes a complete model directory (--out-dir): the base's target files plus the new drafter."""
    import shutil
    import export
    saved = torch.load(args.checkpoint)
    drafter = SpecBlockDrafter(target.cfg, draft_vocab=saved["d2t"], **saved["arch"])
    drafter.attach_target(target)
    drafter.load_state_dict(saved["state"])
    export.round_to_fp16(drafter)
    drafter.eval()
    K = saved["arch"]["K"]
    agree = {d: agreement(drafter, val[d], K) for d in ("A", "B")}
    log(f"  agreement per slot (held-out, {args.val_windows} windows of {args.chunk}): {agree}")
    out = args.out_dir
    os.makedirs(out, exist_ok=True)
    for f in ("target.onnx", "target.ragged.onnx", "lookup.bin", "tokenizer.json", "lm_head.f16", "MODEL_CARD.md"):
        if not os.path.exists(os.path.join(args.models, f)):
            continue  # optional files the manifest names only when the model has them
        if os.path.abspath(os.path.join(args.models, f)) != os.path.abspath(os.path.join(out, f)):
            shutil.copyfile(os.path.join(args.models, f), os.path.join(out, f))
    rank = manifest["drafter"]["adapter_rank"]
    io = export.export_drafter(drafter, os.path.join(out, "drafter.onnx"), rank)
    int8 = export.quantize_drafter(os.path.join(out, "drafter.onnx"), os.path.join(out, "drafter.int8.onnx"))
    golden = json.load(open(os.path.join(args.models, "golden.json")))
    golden["drafter"] = export.drafter_golden(target, drafter, golden["target"][golden.get("drafter_uses_case", 0)], rank)
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(golden, f)
    row = saved["row"]
    d = manifest["drafter"]
    d.update({"parameters": sum(p.numel() for p in drafter.parameters()), "config": drafter.cfg, "io": io,
              "draft_vocab": {"size": len(saved["d2t"]), "label_coverage": row["label_coverage"],
                              "rule": "the N target tokens most often chosen by the target's greedy decoding "
                                      "over the cached training text"},
              "draft_to_target": [int(x) for x in saved["d2t"]],
              "rank_features": "from the drafter's distribution BEFORE the adapter", "int8": int8,
              "training": saved["training"], "agreement_top1_per_slot": agree,
              "learning_curve": {
                  "note": "top-1 agreement per block slot on held-out A against context tokens trained since the "
                          "start point (training.init); tokens=0 is the start point itself",
                  "points": ([{"tokens": 0, "agreement_A": row["agreement_A_before"]}]
                             if "agreement_A_before" in row else []) + saved.get("curve", [])}})
    manifest["build"]["drafter_command"] = "models/build-demo.sh --drafter-only"
    for f in ("drafter.onnx", "drafter.int8.onnx", "golden.json"):
        manifest["sha256"][f] = export_sha256(os.path.join(out, f))
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    log(f"  wrote {out}")


def quantize_in_place(models):
    """Writes drafter.int8.onnx beside the drafter of a model directory and names it in the manifest."""
    import export
    path = os.path.join(models, "manifest.json")
    manifest = json.load(open(path))
    entry = export.quantize_drafter(os.path.join(models, manifest["drafter"]["file"]),
                                    os.path.join(models, "drafter.int8.onnx"))
    manifest["drafter"]["int8"] = entry
    manifest["sha256"][entry["file"]] = export_sha256(os.path.join(models, entry["file"]))
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
    log(f"  wrote {entry['file']} ({entry['method']})")


def export_sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_cache(args):
    target, _ = load_target(args.models)
    log(f"  target rebuilt from {args.models}/target.onnx; golden logits max diff {check_golden(target, args.models):.1e}")
    tok = hc.load_tokenizer(os.path.join(args.models, "tokenizer.json"))
    cache = os.path.join(args.work, "cache")
    stream = hc.domain_a_stream(tok, cache, log=log)
    for name, run in (("sd", lambda root: hc.cache_self_distilled(target, stream, root, args.chunk, args.self_distilled,
                                                                    batch=64, log=log)),
                      ("a", lambda root: hc.cache_domain_a(target, stream, root, args.chunk, log=log))):
        root = os.path.join(cache, name)
        done = os.path.exists(os.path.join(root, "progress.json")) and \
            hc.ChunkStore.open(root).filled == hc.ChunkStore.open(root).n
        if done:
            log(f"  cache {root} complete")
        else:
            run(root)


def setup(args):
    target, manifest = load_target(args.models)
    log(f"  target rebuilt from {args.models}/target.onnx; golden logits max diff {check_golden(target, args.models):.1e}")
    tok = hc.load_tokenizer(os.path.join(args.models, "tokenizer.json"))
    val = {d: val_windows(target, corpus.load_domain(d, 3_000_000 if d == "B" else None)["val"], tok, args.chunk,
                          args.val_windows) for d in ("A", "B")}
    roots = [os.path.join(args.work, "cache", "a"), os.path.join(args.work, "cache", "sd")]
    return target, manifest, tok, val, roots


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["cache", "sweep", "train", "export", "quantize"])
    ap.add_argument("--self-distilled", type=int, default=384, help="cache: chunks of target greedy continuations")
    ap.add_argument("--checkpoint", default=None, help="export: the .pt a train run saved")
    ap.add_argument("--out-dir", default=None, help="export: model directory to write")
    ap.add_argument("--models", default="../demo")
    ap.add_argument("--work", default="../work")
    ap.add_argument("--chunk", type=int, default=137)
    ap.add_argument("--val-windows", type=int, default=24)
    ap.add_argument("--vocab", default="256,512,1024,2048", help="draft vocabulary size(s)")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--minutes", type=float, default=None, help="stop training after this many minutes")
    ap.add_argument("--init", default=None, help="drafter.onnx to start from (same architecture tensors)")
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--matmul-precision", default="auto", choices=["auto", "bf16", "fp32"],
                    help="train: multiply in bfloat16 (weights, norms and losses stay fp32); auto = where this CPU "
                         "does bf16 natively")
    ap.add_argument("--out", default=None, help="train: where to save the trained drafter (.pt)")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    if args.command == "cache":
        build_cache(args)
        return
    if args.command == "quantize":
        quantize_in_place(args.models)
        return
    target, manifest, tok, val, roots = setup(args)
    if args.command == "export":
        export_candidate(args, target, manifest, val)
        return
    arch = dict(K=4, layers=args.layers, heads=3, head_dim=64, mlp_dim=640)
    batches = CachedBatches(roots, seed=1234)
    log(f"  cache: {[(s.root, s.filled) for s in batches.stores]}")
    results = []
    for n in [int(x) for x in args.vocab.split(",")]:
        d2t, coverage = draft_vocab(batches.stores, n, target.cfg["vocab"])
        drafter = new_drafter(target, arch, d2t, args.init)
        row = {"N": n, "label_coverage": round(coverage, 4), "block_ms_torch": round(block_cost_ms(drafter), 3)}
        if args.init:
            row["agreement_A_before"] = agreement(drafter, val["A"], 4)
        curve = []
        cfg = dict(steps=args.steps, batch=args.batch, lr=args.lr, warmup=20, seed=1234, matmul=args.matmul_precision)
        deadline = time.time() + args.minutes * 60 if args.minutes else None
        row["training"] = train_cached(drafter, batches, cfg, val["A"], 4, deadline, curve, eval_every=args.eval_every)
        row["agreement_A"] = agreement(drafter, val["A"], 4)
        row["agreement_B"] = agreement(drafter, val["B"], 4)
        row["curve"] = curve
        log(json.dumps(row))
        results.append(row)
        if args.out:
            torch.save({"state": drafter.state_dict(), "d2t": d2t, "arch": arch, "row": row, "curve": curve,
                        "training": dict(row["training"], batch=args.batch, lr=args.lr, seq=args.chunk - 9,
                                         init=args.init, cache=[(st.root, st.filled) for st in batches.stores],
                                         objective="CE to target greedy tokens, valid-prefix mask, 0.8^k slot "
                                                   "weights, 2 chained blocks, rank head CE x0.1")}, args.out)
    log(json.dumps(results))


if __name__ == "__main__":
    main()
