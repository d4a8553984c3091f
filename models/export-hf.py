#!/usr/bin/python3
"""Exports a Hugging Face causal-LM checkpoint (Llama/Mistral, Qwen2, GPT-2 families) for specserve.

  models/export-hf.py --checkpoint DIR --out OUT [--dtype fp32|fp16] [--prompts FILE] [--contract tree|optimum]

tree (default): OUT holds target.onnx in specserve's tree contract, golden.json, the tokenizer files and
manifest.json; serve it with `bin/specserve serve --models OUT` (none and the model-free strategies; add a
drafter with models/train-drafter.sh). optimum: OUT holds model.onnx in the optimum-cli contract plus
config/tokenizer files; bring it in with `bin/specserve import-optimum OUT --out DIR`.
Needs only Debian packages: python3-torch python3-onnx python3-regex (models/build-demo.sh --install-deps).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "toolchain"))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402

from hf_checkpoint import CheckpointError  # noqa: E402
import hf_export  # noqa: E402


def main():
    ap = argparse.ArgumentParser(prog="export-hf.py", description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--checkpoint", required=True, metavar="DIR", help="HF checkpoint directory (config.json, weights, tokenizer.json)")
    ap.add_argument("--out", required=True, metavar="OUT", help="output model directory (written atomically)")
    ap.add_argument("--dtype", choices=["fp32", "fp16"], default="fp32",
                    help="weight storage; fp16 stores weights in half precision, computes and caches in fp32")
    ap.add_argument("--prompts", metavar="FILE", help="golden prompts: text lines, or JSON lines with prompt / prompt_ids")
    ap.add_argument("--contract", choices=["tree", "optimum", "optimum-merged"], default="tree",
                    help="ONNX contract (default tree); optimum-merged writes decoder_model_merged.onnx")
    ap.add_argument("--golden-steps", type=int, default=16, help="greedy steps recorded per golden prompt")
    ap.add_argument("--force", action="store_true", help="replace a non-empty OUT")
    a = ap.parse_args()
    torch.set_num_threads(2)
    try:
        hf_export.run(a.checkpoint, a.out, a.dtype, a.prompts, a.contract, a.golden_steps, a.force,
                      log=lambda *x: print(*x, flush=True))
    except CheckpointError as e:
        print(f"export-hf: error: {e} (nothing written to {a.out})", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
