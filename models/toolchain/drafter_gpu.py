"""Trains the demo's SpecBlock drafter on a CUDA GPU: minutes there instead of this machine's hours.

The recipe is drafter_build.py's (chained blocks, valid-prefix mask, 0.8^k slot weights, the rank head trained
on the unadapted distribution, the manifest's draft vocabulary, a warm start from the committed drafter). What a
GPU changes: every hidden state is cached in GPU memory, the target writes far more of its own greedy text
(self-distillation), and a step takes 16-32x the CPU runs' batch.

  pack        (here)  domain A's training stream and held-out windows of A and B as token ids, into
                      WORK/gpu/data.npz (the GPU machine has neither this Debian's Python stdlib nor its JDK)
  train       (GPU)   rebuilds the target from target.onnx (checked against golden.json on the CPU first),
                      caches its hidden states over A and over its own continuations of A snippets, trains
                      until --minutes and writes OUT/drafter-L<layers>.npz (weights) and .json (curve, run)
  checkpoint  (here)  turns that pair into the .pt that `drafter_build.py export` reads

  /usr/bin/python3 drafter_gpu.py pack --models ../demo --work ../work
  python3 drafter_gpu.py train --models ../demo --data ../work/gpu/data.npz --out OUT --minutes 5.5 --lr 2e-3 --batch 256
  /usr/bin/python3 drafter_gpu.py checkpoint --run OUT/drafter-L1 --out ../work/drafter.pt
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hidden_cache as hc  # noqa: E402


def log(*a):
    print(*a, flush=True)


def pack(args):
    import corpus
    tok = hc.load_tokenizer(os.path.join(args.models, "tokenizer.json"))
    stream = hc.domain_a_stream(tok, os.path.join(args.work, "cache"), log=log)
    val = {}
    for d in ("A", "B"):  # as drafter_build.val_windows: consecutive windows of the held-out files
        ids = []
        for text in corpus.load_domain(d, 3_000_000 if d == "B" else None)["val"]:
            ids.extend(tok.encode(text))
            ids.append(tok.eos_id)
            if len(ids) >= args.val_windows * args.chunk:
                break
        val[d] = np.asarray(ids[:args.val_windows * args.chunk], dtype=np.int16).reshape(-1, args.chunk)
    out = os.path.join(args.work, "gpu")
    os.makedirs(out, exist_ok=True)
    np.savez_compressed(os.path.join(out, "data.npz"), a_stream=stream, val_A=val["A"], val_B=val["B"])
    log(f"  packed {len(stream)} tokens of A, {val['A'].shape[0]} + {val['B'].shape[0]} held-out windows "
        f"into {out}/data.npz")


class GpuChunks:
    """Chunks of C tokens with the target's hidden states (fp16) and greedy labels, all in device memory;
    next(batch) has CachedBatches' interface."""

    def __init__(self, target, parts, seed, batch=512):
        ids, hidden, labels = [], [], []
        for part in parts:
            for s in range(0, part.shape[0], batch):
                x = part[s:s + batch]
                h, lab = hc.target_pass(target, x)
                ids.append(x)
                hidden.append(h.half())
                labels.append(lab)
        self.ids, self.hidden, self.labels = torch.cat(ids), torch.cat(hidden), torch.cat(labels)
        self.gen = torch.Generator(device=self.ids.device).manual_seed(seed)

    def refresh(self):
        pass

    def next(self, batch):
        rows = torch.randint(0, self.ids.shape[0], (batch,), generator=self.gen, device=self.ids.device)
        return self.ids[rows], self.hidden[rows].float(), self.labels[rows]


def self_distilled(target, stream, n, C, prompt_len, seed, dev, batch=2048):
    """n chunks: a random domain-A snippet of prompt_len tokens and the target's greedy continuation."""
    starts = np.random.default_rng(seed).integers(0, len(stream) - prompt_len, n)
    chunks = []
    for s in range(0, n, batch):
        prompts = torch.from_numpy(np.stack([stream[i:i + prompt_len] for i in starts[s:s + batch]]).astype(np.int64))
        chunks.append(hc.greedy_batch(target, prompts.to(dev), C - prompt_len))
    return torch.cat(chunks)


def move_drafter(d, dev):
    d.to(dev)
    d.d2t, d.t2d = d.d2t.to(dev), d.t2d.to(dev)
    d.embed_weight, d.head_weight = d.embed_weight.to(dev), d.head_weight.to(dev)
    return d


def train_gpu(args):
    import drafter_build as db
    from target_onnx import check_golden, load_target
    dev = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False  # the cache's labels are the target's argmax: keep them fp32
    torch.backends.cudnn.allow_tf32 = False
    t0 = time.time()
    target, manifest = load_target(args.models)
    log(f"  target rebuilt from {args.models}/target.onnx; golden logits max diff {check_golden(target, args.models):.1e}")
    d2t = manifest["drafter"]["draft_to_target"]
    arch = dict(K=4, layers=args.layers, heads=3, head_dim=64, mlp_dim=640)
    drafter = move_drafter(db.new_drafter(target, arch, d2t, os.path.join(args.models, "drafter.onnx")), dev)
    target.to(dev)
    data = np.load(args.data)
    stream, C = data["a_stream"], args.chunk
    n = min(len(stream) // C, args.a_chunks or len(stream))
    a_chunks = torch.from_numpy(stream[:n * C].astype(np.int64)).view(n, C).to(dev)
    sd_chunks = self_distilled(target, stream, args.self_distilled, C, 32, 11, dev)
    log(f"  {n} chunks of A and {sd_chunks.shape[0]} self-distilled chunks of {C} tokens ({time.time() - t0:.0f}s)")
    batches = GpuChunks(target, [a_chunks, sd_chunks], seed=1234)
    val = {}
    for d in ("A", "B"):
        ids = torch.from_numpy(data[f"val_{d}"].astype(np.int64)).to(dev)
        val[d] = (ids, *hc.target_pass(target, ids))
    log(f"  hidden states cached on {dev}: {tuple(batches.hidden.shape)} fp16 ({time.time() - t0:.0f}s)")
    before = db.agreement(drafter, val["A"], 4)
    log(f"  agreement on held-out A before: {before}")
    cfg = dict(steps=10 ** 9, batch=args.batch, lr=args.lr, warmup=args.warmup, seed=1234, matmul="bf16")
    curve = []
    deadline = time.time() + args.minutes * 60
    run = db.train_cached(drafter, batches, cfg, val["A"], 4, deadline, curve, log_every=200,
                          eval_every=args.eval_every)
    row = {"N": len(d2t), "label_coverage": manifest["drafter"]["draft_vocab"]["label_coverage"],
           "agreement_A_before": before, "agreement_A": db.agreement(drafter, val["A"], 4),
           "agreement_B": db.agreement(drafter, val["B"], 4), "training": run}
    log(json.dumps(row))
    name = os.path.join(args.out, args.name or f"drafter-L{args.layers}")
    os.makedirs(args.out, exist_ok=True)
    np.savez(name + ".npz", **{k: v.detach().float().cpu().numpy() for k, v in drafter.state_dict().items()})
    gpu = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    with open(name + ".json", "w") as f:
        json.dump({"d2t": d2t, "arch": arch, "row": row, "curve": curve, "training": dict(
            run, batch=args.batch, lr=args.lr, warmup=args.warmup, seq=C - 9, init="the committed drafter.onnx",
            cache={"A": f"all {n} of domain A's training chunks of {C} tokens ({n * C} tokens)",
                   "self_distilled": f"{sd_chunks.shape[0]} chunks: 32 tokens of A + {C - 32} tokens of the "
                                     f"target's greedy continuation"},
            objective="CE to target greedy tokens, valid-prefix mask, 0.8^k slot weights, 2 chained blocks, "
                      "rank head CE x0.1", matmul_precision="bfloat16 matmuls, fp32 weights, norms and losses",
            lr_schedule=f"{args.warmup} warm-up steps, then cosine to 0.1x over the time budget "
                        f"({args.minutes} minutes)",
            hardware=f"{gpu}, torch {torch.__version__} (drafter_gpu.py train)")}, f, indent=1)
    log(f"  wrote {name}.npz/.json ({time.time() - t0:.0f}s)")


def checkpoint(args):
    meta = json.load(open(args.run + ".json"))
    state = {k: torch.from_numpy(v) for k, v in np.load(args.run + ".npz").items()}
    torch.save({"state": state, "d2t": meta["d2t"], "arch": meta["arch"], "row": meta["row"],
                "curve": meta["curve"], "training": meta["training"]}, args.out)
    log(f"  wrote {args.out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["pack", "train", "checkpoint"])
    ap.add_argument("--models", default="../demo")
    ap.add_argument("--work", default="../work", help="pack: where data.npz goes (under gpu/)")
    ap.add_argument("--data", default="../work/gpu/data.npz", help="train: what pack wrote")
    ap.add_argument("--out", default=None, help="train: directory for the weights; checkpoint: the .pt")
    ap.add_argument("--name", default=None, help="train: file name of the weights (default drafter-L<layers>)")
    ap.add_argument("--run", default=None, help="checkpoint: OUT/drafter-L<layers> (without .npz/.json)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--chunk", type=int, default=137)
    ap.add_argument("--val-windows", type=int, default=32)
    ap.add_argument("--self-distilled", type=int, default=32768, help="train: chunks of target continuations")
    ap.add_argument("--a-chunks", type=int, default=None, help="train: at most this many chunks of A (a smoke run)")
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--minutes", type=float, default=6.0)
    ap.add_argument("--eval-every", type=int, default=1000)
    args = ap.parse_args()
    needs = {"train": ["out"], "checkpoint": ["run", "out"]}.get(args.command, [])
    missing = [f"--{n}" for n in needs if getattr(args, n) is None]
    if missing:
        ap.error(f"{args.command} needs {' and '.join(missing)}")
    {"pack": pack, "train": train_gpu, "checkpoint": checkpoint}[args.command](args)


if __name__ == "__main__":
    main()
