"""Rebuilds the target's PyTorch weights from a committed target.onnx, checked against golden.json.

The export stores every weight as a named initializer (fp16 + Cast where lossless; Linear weights
pre-transposed, suffixed ".T"), so the state dict is recovered exactly, without any training checkpoint.
"""
import argparse
import hashlib
import json
import os
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from model import TargetLM


def load_state(onnx_path, prefixes):
    """The state dict stored as named initialisers of an exported graph (see export._finalize)."""
    state = {}
    for init in onnx.load(onnx_path).graph.initializer:
        name = init.name
        for prefix in prefixes:
            if name.startswith(prefix):
                name = name[len(prefix):]
                break
        else:
            continue
        if "#" in name:
            continue  # a duplicate of another initializer
        arr = numpy_helper.to_array(init).astype(np.float32)
        if name.endswith(".fp16"):
            name = name[:-len(".fp16")]
        if name.endswith(".T"):
            name, arr = name[:-2], arr.T
        state[name] = torch.from_numpy(np.ascontiguousarray(arr))
    return state


def load_target(model_dir):
    """Returns (TargetLM in eval mode, frozen; manifest) rebuilt from model_dir/target.onnx."""
    manifest = json.load(open(os.path.join(model_dir, "manifest.json")))
    c = manifest["target"]["config"]
    target = TargetLM(c["vocab"], c["dim"], c["layers"], c["heads"], c["mlp_dim"], c["max_pos"])
    state = load_state(os.path.join(model_dir, "target.onnx"), ("target.", "t."))
    expected = set(target.state_dict())
    missing, extra = expected - set(state), set(state) - expected
    if missing or extra:
        raise ValueError(f"target.onnx initialisers do not cover the target: missing {sorted(missing)[:5]}, "
                         f"unexpected {sorted(extra)[:5]}")
    target.load_state_dict(state)
    target.eval()
    for p in target.parameters():
        p.requires_grad_(False)
    return target, manifest


@torch.no_grad()
def check_golden(target, model_dir, tolerance=None):
    """Replays golden.json's greedy cases through the rebuilt target; raises if any token or logit differs."""
    from export import greedy_with_cache
    golden = json.load(open(os.path.join(model_dir, "golden.json")))
    tol = tolerance or golden.get("tolerance", 1e-4)
    probe = golden["probe_ids"]
    worst = 0.0
    for case in golden["target"]:
        gen, logits, _ = greedy_with_cache(target, case["prompt_ids"], len(case["generated"]))
        if gen != case["generated"]:
            raise ValueError(f"rebuilt target decodes {gen[:8]}... but golden.json has {case['generated'][:8]}...")
        for lg, step in zip(logits, case["steps"]):
            worst = max(worst, max(abs(float(lg[i]) - v) for i, v in zip(probe, step["probe_logits"])))
    if worst > tol:
        raise ValueError(f"rebuilt target's logits differ from golden.json by {worst:.2e} (> {tol})")
    return worst


def reexport(model_dir):
    """Re-exports model_dir/target.onnx from its own weights with the current export (export.export_target), and
    target.ragged.onnx beside it (export.export_target_ragged), after checking the weights against golden.json,
    and updates the manifest's io, past layout, ragged graph and checksums. The
    weights do not change, so golden.json stays valid (bin/specserve parity checks the new graph in ORT)."""
    import export
    target, manifest = load_target(model_dir)
    worst = check_golden(target, model_dir)
    print(f"target rebuilt from target.onnx; golden.json replayed, logits within {worst:.1e}")
    path = os.path.join(model_dir, "target.onnx")
    tmp = path + ".tmp"
    io = export.export_target(target, tmp)
    os.replace(tmp, path)
    ragged_path = os.path.join(model_dir, "target.ragged.onnx")
    ragged = export.export_target_ragged(target, ragged_path + ".tmp")
    os.replace(ragged_path + ".tmp", ragged_path)
    ragged["file"] = "target.ragged.onnx"
    t = manifest["target"]
    t.update({"io": io, "past_layout": export.TARGET_PAST_LAYOUT, "kv_layout": export.KV_LAYOUT_DOC, "ragged": ragged})
    for name in ("target.onnx", "target.ragged.onnx"):
        h = hashlib.sha256()
        with open(os.path.join(model_dir, name), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        manifest["sha256"][name] = h.hexdigest()
    manifest["build"]["target_reexport"] = {
        "command": "models/build-demo.sh --target-only", "date": time.strftime("%Y-%m-%d"),
        "past_layout": export.TARGET_PAST_LAYOUT, "torch": torch.__version__, "onnx": onnx.__version__,
        "note": "same weights as the original export (read back from its initialisers); only the graph changed; target.ragged.onnx added (same weights, GroupQueryAttention)"}
    with open(os.path.join(model_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"re-exported {path} (past layout {export.TARGET_PAST_LAYOUT}); manifest updated")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Re-export a demo target.onnx from its own weights with the current graph.")
    ap.add_argument("command", choices=["reexport"])
    ap.add_argument("--models", required=True, help="model directory holding manifest.json and target.onnx")
    reexport(ap.parse_args().models)
