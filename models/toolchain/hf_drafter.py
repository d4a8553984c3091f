"""Trains a SpecBlock drafter for a model directory written by export-hf.py and adds it to that manifest.

Same recipe as the demo drafter (model.SpecBlockDrafter, train.train_drafter: CE to the target's greedy
tokens, valid-prefix mask, 0.8^k slot weights, two chained blocks, rank head), with the exported target's
weights reloaded from the source checkpoint recorded in the manifest. The drafter reads the target's final
hidden state (the tree contract's last_hidden_state) and uses the target's LM head as its own.
"""
import json
import os
import shutil
import time

import torch

import export as demo_export
import train
from hf_checkpoint import CheckpointError
from hf_export import load_model, sha256
from hf_model import NEG
from hf_tokenizer import byte_level
from model import SpecBlockDrafter

RECIPES = {
    "full": dict(arch=dict(K=4, layers=2, heads=3, head_dim=64, mlp_dim=640),
                 train=dict(steps=700, batch=4, seq=128, lr=2e-3, warmup=50, seed=1234), adapter_rank=16),
    "smoke": dict(arch=dict(K=4, layers=2, heads=2, head_dim=32, mlp_dim=128),
                  train=dict(steps=20, batch=2, seq=32, lr=3e-3, warmup=5, seed=1234), adapter_rank=8),
}
RANK_CLASSES = [{"class": 0, "ranks": "1", "branch": 1}, {"class": 1, "ranks": "2-4", "branch": 4},
                {"class": 2, "ranks": "5-10", "branch": 10}, {"class": 3, "ranks": ">10", "branch": 0}]


class FrozenTarget:
    """What train.train_drafter and SpecBlockDrafter need of a target: cfg, the LM head, train_forward."""

    def __init__(self, model):
        self.m = model
        s = model.spec
        self.cfg = dict(vocab=s.vocab, dim=s.dim, max_pos=s.max_pos)
        self.embed = torch.nn.Module()
        self.embed.weight = model.head_weight()

    @torch.no_grad()
    def train_forward(self, ids):
        B, S = ids.shape
        pos = torch.arange(S).unsqueeze(0).expand(B, S)
        mask = torch.triu(torch.full((S, S), NEG), 1).view(1, 1, S, S)
        logits, h, _ = self.m(ids, pos, mask, self.m.empty_past(B))
        return logits, h


def java_tokenize(models_dir, files, log):
    """Token ids through `bin/specserve tokenize` (the runtime's HF tokenizers binding reads every tokenizer.json
    kind), for tokenizers the Python toolchain cannot run; each file is followed by the EOS id."""
    import subprocess
    import tempfile
    import numpy as np
    launcher = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bin", "specserve")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ids.u32")
        log("  tokenizing the corpus with the runtime's tokenizer (bin/specserve tokenize)")
        r = subprocess.run([launcher, "tokenize", "--models", models_dir, "--out", out] + list(files),
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise CheckpointError("train-drafter: bin/specserve tokenize failed: " + (r.stderr or r.stdout).strip())
        return torch.from_numpy(np.fromfile(out, dtype="<u4").astype(np.int32))


def corpus_stream(files, tok_json, eos_id, log, models_dir=None):
    enc = byte_level(tok_json)
    if enc is None:
        if models_dir is None:
            raise CheckpointError("train-drafter: this tokenizer.json is not a plain byte-level BPE, which the "
                                  "Python toolchain cannot run (Llama 3 / Qwen2 split regexes, SentencePiece)")
        ids = java_tokenize(models_dir, files, log)
        log(f"  corpus: {len(files)} files, {len(ids):,} tokens")
        return ids
    ids = []
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            ids.extend(enc.encode(fh.read()))
        ids.append(eos_id)
    log(f"  corpus: {len(files)} files, {len(ids):,} tokens")
    return torch.tensor(ids, dtype=torch.int32)


def drafter_goldens(model, drafter, prompt_ids, rank):
    """The demo's drafter golden cases (export.drafter_cases), for DrafterParity in Java."""
    return demo_export.drafter_cases(model, drafter, prompt_ids, rank)


def run(models_dir, corpus_files, recipe="full", steps=None, checkpoint=None, log=print):
    t0 = time.time()
    missing = [f for f in corpus_files if not os.path.isfile(f)]
    if missing:
        raise CheckpointError(f"train-drafter: --corpus file(s) not found: {', '.join(missing)}")
    manifest_path = os.path.join(models_dir, "manifest.json")
    if not os.path.isfile(manifest_path):
        raise CheckpointError(f"train-drafter: {manifest_path} not found: --models takes a directory written by "
                              "models/export-hf.py")
    with open(manifest_path) as f:
        manifest = json.load(f)
    if manifest["target"].get("contract", "tree") != "tree":
        raise CheckpointError("train-drafter: the drafter needs the tree contract's hidden states; export with "
                              "models/export-hf.py (not --contract optimum)")
    ckpt = checkpoint or manifest.get("source", {}).get("checkpoint")
    if not ckpt or not os.path.isdir(ckpt):
        raise CheckpointError(f"train-drafter: the source checkpoint {ckpt!r} recorded in the manifest is not "
                              f"there; pass --checkpoint DIR")
    recorded = manifest["source"].get("sha256", {})
    for name, digest in recorded.items():
        path = os.path.join(ckpt, name)
        if os.path.isfile(path) and name.endswith((".safetensors", ".bin", "config.json")) and sha256(path) != digest:
            raise CheckpointError(f"train-drafter: {path} differs from the file the model was exported from")
    fp16 = manifest["target"].get("weights_storage", "").startswith("fp16")
    spec, _, model = load_model(ckpt, "fp16" if fp16 else "fp32")
    for p in model.parameters():
        p.requires_grad_(False)
    target = FrozenTarget(model)
    with open(os.path.join(models_dir, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    stream = corpus_stream(corpus_files, tok, spec.eos_ids[0], log, models_dir)
    r = RECIPES[recipe]
    cfg = dict(r["train"], **({"steps": steps} if steps else {}))
    if len(stream) < cfg["seq"] + 2 * r["arch"]["K"] + 2:
        raise CheckpointError(f"train-drafter: the corpus has {len(stream)} tokens, fewer than one training window")
    torch.manual_seed(cfg["seed"])
    drafter = SpecBlockDrafter(target.cfg, **r["arch"])
    drafter.attach_target(target)
    n_params = sum(p.numel() for p in drafter.parameters())
    log(f"training drafter ({n_params:,} parameters, {cfg['steps']} steps of {cfg['batch']}x{cfg['seq']} tokens)")
    seconds = train.train_drafter(drafter, target, stream, cfg, log=log)
    demo_export.round_to_fp16(drafter)
    agreement = train.eval_drafter(drafter, target, stream, drafter.K, seq=min(128, cfg["seq"] * 2))
    log(f"  top-1 agreement with the target per block slot (training corpus): {[round(a, 3) for a in agreement]}")

    staged = {}
    tmp = os.path.join(models_dir, ".train-drafter-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        io = demo_export.export_drafter(drafter, os.path.join(tmp, "drafter.onnx"), r["adapter_rank"])
        target.embed.weight.detach().half().numpy().astype("<f2").tofile(os.path.join(tmp, "lm_head.f16"))
        with open(os.path.join(models_dir, "golden.json")) as f:
            golden = json.load(f)
        golden["drafter"] = drafter_goldens(model, drafter, golden["target"][0]["prompt_ids"], r["adapter_rank"])
        golden["drafter_uses_case"] = 0
        with open(os.path.join(tmp, "golden.json"), "w") as f:
            json.dump(golden, f)
        for name in ("drafter.onnx", "lm_head.f16", "golden.json"):
            staged[name] = sha256(os.path.join(tmp, name))
        manifest["drafter"] = {"file": "drafter.onnx", "parameters": n_params, "config": drafter.cfg,
                               "block_size": drafter.K, "topk": demo_export.DRAFTER_TOPK,
                               "adapter_rank": r["adapter_rank"], "rank_classes": RANK_CLASSES, "io": io,
                               "kv_layout": demo_export.KV_LAYOUT_DOC,
                               "training": dict(cfg, seconds=round(seconds, 1), recipe=recipe,
                                                corpus=[os.path.abspath(f) for f in corpus_files],
                                                tokens=int(len(stream))),
                               "agreement_top1_per_slot": {"corpus": agreement}}
        manifest["lm_head"] = {"file": "lm_head.f16", "dtype": "float16", "shape": [spec.vocab, spec.dim],
                               "byte_order": "little-endian", "note": "the target's LM head, for online adapter updates"}
        manifest["golden"] = {"file": "golden.json"}
        manifest["sha256"].update(staged)
        with open(os.path.join(tmp, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=2)
        for name in list(staged) + ["manifest.json"]:  # the manifest last: until then the old one stays valid
            os.replace(os.path.join(tmp, name), os.path.join(models_dir, name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"added drafter.onnx to {models_dir} in {time.time() - t0:.1f} s")


def main():
    import argparse
    import sys
    ap = argparse.ArgumentParser(prog="train-drafter.sh", description="Trains a SpecBlock drafter for a model "
                                 "directory written by models/export-hf.py and adds it to its manifest.")
    ap.add_argument("--models", required=True, metavar="OUT", help="model directory from export-hf.py")
    ap.add_argument("--corpus", required=True, nargs="+", metavar="FILE", help="text files to train on")
    ap.add_argument("--smoke", action="store_true", help="toy-size recipe (a few seconds; for tests)")
    ap.add_argument("--steps", type=int, help="override the recipe's training steps")
    ap.add_argument("--checkpoint", metavar="DIR", help="source checkpoint, if it moved since the export")
    a = ap.parse_args()
    torch.set_num_threads(2)
    try:
        run(a.models, a.corpus, "smoke" if a.smoke else "full", a.steps, a.checkpoint, log=print)
    except CheckpointError as e:
        print(f"train-drafter: error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
