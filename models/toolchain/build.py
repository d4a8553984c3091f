"""Builds the specserve demo pair end to end: tokenizer, target, drafter, ONNX, goldens, manifest.

Usage: /usr/bin/python3 build.py --out DIR [--smoke]
"""
import argparse
import hashlib
import json
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import corpus  # noqa: E402
import export  # noqa: E402
import train  # noqa: E402
from model import SpecBlockDrafter, TargetLM  # noqa: E402

CONFIGS = {
    "full": dict(
        corpus_cap_bytes=None, train_text_cap_bytes=24_000_000, bpe_sample_bytes=1_500_000,
        vocab=2048, dim=320, layers=8, heads=5, mlp_dim=1280, max_pos=1024, context=512,
        target=dict(steps=1400, batch=4, seq=512, lr=2e-3, warmup=100, seed=1234),
        drafter_arch=dict(K=4, layers=2, heads=3, head_dim=64, mlp_dim=640),
        drafter=dict(steps=700, batch=4, seq=128, lr=2e-3, warmup=50, seed=1234), draft_vocab=512,
        adapter_rank=16, golden_prompts=3, golden_steps=24, bench_prompts=24),
    "smoke": dict(
        corpus_cap_bytes=400_000, train_text_cap_bytes=None, bpe_sample_bytes=150_000,
        vocab=384, dim=64, layers=2, heads=2, mlp_dim=128, max_pos=1024, context=512,
        target=dict(steps=40, batch=4, seq=64, lr=3e-3, warmup=5, seed=1234),
        drafter_arch=dict(K=4, layers=2, heads=2, head_dim=32, mlp_dim=128),
        drafter=dict(steps=20, batch=2, seq=32, lr=3e-3, warmup=5, seed=1234), draft_vocab=256,
        adapter_rank=8, golden_prompts=2, golden_steps=12, bench_prompts=4),
}


# The model card is not generated: it states provenance, licences and limits, which need a person's review.
MODEL_CARD = "MODEL_CARD.md"


def log(*a, **k):
    k.setdefault("flush", True)
    print(*a, **k)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def capped(texts, cap):
    """Deterministic subset of whole files up to cap bytes, in a seeded shuffle order."""
    if cap is None:
        return texts
    order = list(range(len(texts)))
    random.Random(7).shuffle(order)
    out, total = [], 0
    for i in order:
        out.append(texts[i])
        total += len(texts[i])
        if total >= cap:
            break
    return out


def encode_stream(tok, texts):
    ids = []
    for t in texts:
        ids.extend(tok.encode(t))
        ids.append(tok.eos_id)
    return torch.tensor(ids, dtype=torch.int32)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true", help="toy-size run of the whole chain")
    ap.add_argument("--bench-dir", default=None, help="where to write bench prompt sets")
    ap.add_argument("--work", default=None, help="checkpoint dir; with --reuse, trained weights found there are reused")
    ap.add_argument("--reuse", action="store_true", help="skip training when a checkpoint exists (re-export only)")
    ap.add_argument("--drafter-extra-steps", type=int, default=0,
                    help="with --reuse: continue training the saved drafter for N more steps (fresh cosine schedule)")
    args = ap.parse_args()
    cfg = CONFIGS["smoke" if args.smoke else "full"]
    torch.manual_seed(1234)
    random.seed(1234)
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()

    log("[1/7] corpora")
    doms = {d: corpus.load_domain(d, cfg["corpus_cap_bytes"]) for d in ("A", "B")}
    for d, v in doms.items():
        log(f"  domain {d}: {v['files']} files, {v['bytes'] / 1e6:.1f} MB, "
            f"{len(v['train'])} train / {len(v['val'])} val files")

    log("[2/7] byte-level BPE tokenizer")
    sample = []
    for d in ("A", "B"):
        sample += capped(doms[d]["train"], cfg["bpe_sample_bytes"])
    merges = bpe.train(sample, cfg["vocab"], log=log)
    tok = bpe.Tokenizer(merges)
    tok_path = os.path.join(args.out, "tokenizer.json")
    tok.save(tok_path)
    log(f"  vocab {len(tok.vocab)} -> {tok_path}")

    log("[3/7] encoding corpora")
    streams, corpora_meta = {}, {}
    for d in ("A", "B"):
        tr_texts = capped(doms[d]["train"], cfg["train_text_cap_bytes"])
        t0 = time.time()
        streams[d] = {"train": encode_stream(tok, tr_texts), "val": encode_stream(tok, doms[d]["val"])}
        corpora_meta[d] = {
            "source": "CPython 3.11 standard library /usr/lib/python3.11/**/*.py (no test dirs, no dist-packages)"
            if d == "A" else "OpenJDK 17 src.zip, java.base/ module only",
            "files": doms[d]["files"], "bytes": doms[d]["bytes"],
            "train_files_used": len(tr_texts), "val_files": len(doms[d]["val"]),
            "train_bytes_used": sum(len(t.encode()) for t in tr_texts),
            "val_bytes": sum(len(t.encode()) for t in doms[d]["val"]),
            "train_tokens": len(streams[d]["train"]), "val_tokens": len(streams[d]["val"]),
            "validation_rule": f"sha256(relative path) % {corpus.VAL_MODULUS} == 0, whole files"}
        log(f"  {d}: {len(streams[d]['train'])} train tokens, {len(streams[d]['val'])} val tokens "
            f"({time.time() - t0:.0f}s)")

    log("[4/7] training target on A+B")
    target = TargetLM(cfg["vocab"], cfg["dim"], cfg["layers"], cfg["heads"], cfg["mlp_dim"], cfg["max_pos"])
    n_target = sum(p.numel() for p in target.parameters())
    log(f"  target parameters: {n_target:,}")
    work = args.work or os.path.join(args.out, "..", "work")
    os.makedirs(work, exist_ok=True)
    ckpt_t = os.path.join(work, "target.pt" if not args.smoke else "target-smoke.pt")
    if args.reuse and os.path.exists(ckpt_t):
        saved = torch.load(ckpt_t)
        target.load_state_dict(saved["state"])
        t_sec = saved["seconds"]
        log(f"  reused {ckpt_t}")
    else:
        t_sec = train.train_target(target, [streams["A"]["train"], streams["B"]["train"]], [0.5, 0.5],
                                   cfg["target"], log=log)
        torch.save({"state": target.state_dict(), "seconds": t_sec}, ckpt_t)
    export.round_to_fp16(target)
    target_losses = {f"{split}_{d}": train.eval_target(target, streams[d][split], min(256, cfg["target"]["seq"]))
                     for d in ("A", "B") for split in ("train", "val")}
    log(f"  target losses: {target_losses}")

    log("[5/7] training drafter on A only (target frozen)")
    for p in target.parameters():
        p.requires_grad_(False)
    torch.manual_seed(cfg["drafter"]["seed"])
    d2t = None
    if cfg.get("draft_vocab"):  # the most frequent tokens of the drafter's training text (drafter_build.py uses labels)
        counts = torch.bincount(streams["A"]["train"].long(), minlength=cfg["vocab"])
        d2t = sorted(torch.argsort(counts, descending=True)[:cfg["draft_vocab"]].tolist())
    drafter = SpecBlockDrafter(target.cfg, draft_vocab=d2t, **cfg["drafter_arch"])
    drafter.attach_target(target)
    n_drafter = sum(p.numel() for p in drafter.parameters())
    log(f"  drafter parameters (excluding the shared frozen embedding/LM head): {n_drafter:,}")
    ckpt_d = os.path.join(work, "drafter.pt" if not args.smoke else "drafter-smoke.pt")
    d_steps = cfg["drafter"]["steps"]
    if args.reuse and os.path.exists(ckpt_d):
        saved = torch.load(ckpt_d)
        drafter.load_state_dict(saved["state"])
        d_sec = saved["seconds"]
        d_steps = saved.get("steps", d_steps)
        log(f"  reused {ckpt_d} ({d_steps} steps)")
        if args.drafter_extra_steps > 0:
            extra = dict(cfg["drafter"], steps=args.drafter_extra_steps, lr=cfg["drafter"]["lr"] / 2, warmup=20,
                         seed=cfg["drafter"]["seed"] + d_steps)
            d_sec += train.train_drafter(drafter, target, streams["A"]["train"], extra, log=log)
            d_steps += args.drafter_extra_steps
            torch.save({"state": drafter.state_dict(), "seconds": d_sec, "steps": d_steps}, ckpt_d)
    else:
        d_sec = train.train_drafter(drafter, target, streams["A"]["train"], cfg["drafter"], log=log)
        torch.save({"state": drafter.state_dict(), "seconds": d_sec, "steps": d_steps}, ckpt_d)
    export.round_to_fp16(drafter)
    K = cfg["drafter_arch"]["K"]
    agreement = {d: train.eval_drafter(drafter, target, streams[d]["val"], K,
                                       seq=min(128, cfg["drafter"]["seq"] * 2)) for d in ("A", "B")}
    log(f"  drafter top-1 agreement with target per block slot: {agreement}")

    log("[6/7] exporting ONNX")
    target_io = export.export_target(target, os.path.join(args.out, "target.onnx"))
    target_ragged = export.export_target_ragged(target, os.path.join(args.out, "target.ragged.onnx"))
    drafter_io = export.export_drafter(drafter, os.path.join(args.out, "drafter.onnx"), cfg["adapter_rank"])
    drafter_int8 = export.quantize_drafter(os.path.join(args.out, "drafter.onnx"),
                                           os.path.join(args.out, "drafter.int8.onnx"))
    export.write_lm_head(target, os.path.join(args.out, "lm_head.f16"))

    log("[7/7] golden outputs, bench prompts, manifest")
    export.streams_texts.update({d: doms[d]["val"] for d in ("A", "B")})
    golden = export.golden_outputs(target, drafter, tok, streams, cfg, cfg["adapter_rank"])
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(golden, f)
    if args.bench_dir:
        export.write_bench_prompts(doms, args.bench_dir, cfg["bench_prompts"])

    files = ["target.onnx", "target.ragged.onnx", "drafter.onnx", "drafter.int8.onnx", "tokenizer.json", "lm_head.f16", "golden.json"]
    manifest = {
        "format": "specserve-manifest/1",
        "name": "specserve-demo-smoke" if args.smoke else "specserve-demo",
        # hand-written, committed beside the models (models/demo/MODEL_CARD.md); a rebuild must keep pointing at it
        **({} if args.smoke else {"model_card": MODEL_CARD}),
        "build": {"command": "models/build-demo.sh" + (" --smoke" if args.smoke else ""),
                  "torch": torch.__version__, "onnx": export.onnx.__version__, "opset": export.OPSET,
                  "seeds": {"target": cfg["target"]["seed"], "drafter": cfg["drafter"]["seed"]},
                  "total_seconds": round(time.time() - t_start, 1)},
        "corpora": corpora_meta,
        "tokenizer": {"file": "tokenizer.json", "type": "byte-level BPE (GPT-2 pre-tokenizer regex)",
                      "vocab_size": len(tok.vocab), "eos_token": bpe.EOS, "eos_id": tok.eos_id},
        "target": {"file": "target.onnx", "parameters": n_target, "context_length": cfg["context"],
                   "config": target.cfg, "io": target_io, "past_layout": export.TARGET_PAST_LAYOUT,
                   "kv_layout": export.KV_LAYOUT_DOC, "ragged": target_ragged,
                   "weights_storage": "fp16 initializers upcast to fp32 in-graph",
                   "training": dict(cfg["target"], seconds=round(t_sec, 1),
                                    tokens=cfg["target"]["steps"] * cfg["target"]["batch"] * cfg["target"]["seq"],
                                    domains="A+B, 50/50"),
                   "loss": target_losses},
        "drafter": {"file": "drafter.onnx", "parameters": n_drafter, "config": drafter.cfg,
                    "block_size": K, "topk": export.DRAFTER_TOPK, "adapter_rank": cfg["adapter_rank"],
                    "rank_classes": [{"class": 0, "ranks": "1", "branch": 1},
                                     {"class": 1, "ranks": "2-4", "branch": 4},
                                     {"class": 2, "ranks": "5-10", "branch": 10},
                                     {"class": 3, "ranks": ">10", "branch": 0}],
                    "io": drafter_io, "kv_layout": export.KV_LAYOUT_DOC,
                    "draft_to_target": drafter.d2t.tolist(),
                    "rank_features": "from the drafter's distribution BEFORE the adapter", "int8": drafter_int8,
                    "training": dict(cfg["drafter"], steps=d_steps, seconds=round(d_sec, 1), domains="A only",
                                     objective="CE to target greedy tokens, valid-prefix mask, 0.8^k slot "
                                               "weights, 2 chained blocks, rank head CE x0.1"),
                    "agreement_top1_per_slot": agreement},
        "lm_head": {"file": "lm_head.f16", "dtype": "float16", "shape": [len(tok.vocab), cfg["dim"]],
                    "byte_order": "little-endian", "note": "tied target embedding, for online adapter updates"},
        "golden": {"file": "golden.json"},
        "sha256": {},
    }
    for f_ in files:
        manifest["sha256"][f_] = sha256(os.path.join(args.out, f_))
    if not args.smoke and not os.path.isfile(os.path.join(args.out, MODEL_CARD)):
        log(f"WARNING: {MODEL_CARD} is missing in {args.out}: the manifest names it; update and commit the card "
            f"(training data, licences, measured quality) with the rebuilt models")
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    total = sum(os.path.getsize(os.path.join(args.out, f_)) for f_ in files)
    log(f"done in {time.time() - t_start:.0f}s; artifacts {total / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
