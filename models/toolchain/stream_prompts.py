"""Longer prompt streams for adapt-bench: held-out files only (never trained on), several windows per file.

Writes bench/prompts/python-stream.jsonl (domain A) and java-stream.jsonl (domain B). Needs only the
Python standard library and the corpora (no torch), so it can be rerun on its own:
    python3 models/toolchain/stream_prompts.py --bench-dir bench/prompts
"""
import argparse
import json
import os
import random

import corpus

WINDOWS_PER_FILE = 8
PROMPT_CHARS = 400  # at worst about one token per character: leaves room for 64+ new tokens in a 512 context
SKIP_LINES = 30  # licence headers and imports repeat across files; they would flatter acceptance


def windows(text, rng, count):
    """Up to `count` prompts from non-overlapping line ranges of one file."""
    lines = text.splitlines(keepends=True)
    if len(lines) < SKIP_LINES + 20:
        return []
    starts = range(SKIP_LINES, len(lines) - 10)
    bounds = sorted(rng.sample(starts, min(count, len(starts))))
    out = []
    last_end = -1
    for start in bounds:
        if start <= last_end:
            continue
        prompt, i = "", start
        while i < len(lines) and len(prompt) < PROMPT_CHARS:
            prompt += lines[i]
            i += 1
        last_end = i
        if len(prompt) >= 150:
            out.append(prompt)
    return out


def write(domain, fname, bench_dir, per_domain, seed):
    rng = random.Random(seed)
    source = corpus.python_stdlib_files() if domain == "A" else corpus.java_base_files()
    prompts = []
    for path, text in source:
        if corpus.is_validation(path) and len(text) > 1500:
            prompts += [(path, p) for p in windows(text, rng, WINDOWS_PER_FILE)]
    rng.shuffle(prompts)
    with open(os.path.join(bench_dir, fname), "w") as f:
        for path, prompt in prompts[:per_domain]:
            f.write(json.dumps({"prompt": prompt, "source": path, "domain": domain}) + "\n")
    print(f"{fname}: {min(per_domain, len(prompts))} prompts from held-out files")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-dir", required=True)
    ap.add_argument("--per-domain", type=int, default=96)
    args = ap.parse_args()
    os.makedirs(args.bench_dir, exist_ok=True)
    write("A", "python-stream.jsonl", args.bench_dir, args.per_domain, 2025)
    write("B", "java-stream.jsonl", args.bench_dir, args.per_domain, 2026)


if __name__ == "__main__":
    main()
