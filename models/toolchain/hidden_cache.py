"""Caches the frozen target's hidden states and greedy labels once, so drafter epochs never re-run the target.

Two sets of fixed-length chunks (C tokens each), stored fp16 as memory maps under the cache directory:
  a/   every training file of domain A, cut into non-overlapping chunks, in a seeded shuffled order
       (any prefix of the cache is a uniform sample, so training may start before caching ends)
  sd/  self-distilled text: the target's own greedy continuation of domain-A snippets, which is what
       the drafter sees when serving
Per chunk: ids [C] (int16), hidden [C, dim] (fp16), labels [C] (int16; labels[p] is the target's greedy
token for position p, predicted at p-1; labels[0] = ids[0]). progress.json counts the finished chunks.
Domain B is never read: it is the drift domain.
"""
import json
import os
import random
import time

import numpy as np
import torch

import corpus
from export import _mask


def load_tokenizer(path):
    import bpe
    model = json.load(open(path, encoding="utf-8"))["model"]
    return bpe.Tokenizer([tuple(m.split(" ")) for m in model["merges"]])


def domain_a_stream(tok, cache_dir, log=print):
    path = os.path.join(cache_dir, "a_stream.npy")
    if os.path.exists(path):
        return np.load(path)
    t0 = time.time()
    dom = corpus.load_domain("A")
    ids = []
    for i, text in enumerate(dom["train"]):
        ids.extend(tok.encode(text))
        ids.append(tok.eos_id)
        if i % 100 == 0:
            log(f"  encoding domain A: {i}/{len(dom['train'])} files, {len(ids)} tokens ({time.time() - t0:.0f}s)")
    arr = np.asarray(ids, dtype=np.int16)
    os.makedirs(cache_dir, exist_ok=True)
    np.save(path, arr)
    log(f"  domain A: {len(dom['train'])} train files, {len(arr)} tokens ({time.time() - t0:.0f}s)")
    return arr


class ChunkStore:
    """Fixed-size memory-mapped arrays for n chunks of C tokens; `filled` counts finished chunks."""

    def __init__(self, root, n, C, dim, create=False):
        self.root, self.n, self.C, self.dim = root, n, C, dim
        self.filled = 0
        mode = "w+" if create else "r"
        if create:
            os.makedirs(root, exist_ok=True)
            self.filled = self._resumable()
            if self.filled:
                mode = "r+"
        self.ids = np.lib.format.open_memmap(os.path.join(root, "ids.npy"), mode, np.int16, (n, C))
        self.labels = np.lib.format.open_memmap(os.path.join(root, "labels.npy"), mode, np.int16, (n, C))
        self.hidden = np.lib.format.open_memmap(os.path.join(root, "hidden.npy"), mode, np.float16, (n, C, dim))

    def _resumable(self):
        """Chunks already written by an interrupted run with the same shape (0 when none)."""
        try:
            meta = json.load(open(os.path.join(self.root, "progress.json")))
        except (OSError, ValueError):
            return 0
        same = (meta.get("chunks"), meta.get("C"), meta.get("dim")) == (self.n, self.C, self.dim)
        return meta.get("filled", 0) if same else 0

    @staticmethod
    def open(root):
        meta = json.load(open(os.path.join(root, "progress.json")))
        store = ChunkStore(root, meta["chunks"], meta["C"], meta["dim"])
        store.filled = meta["filled"]
        return store

    def write_progress(self, filled, **extra):
        tmp = os.path.join(self.root, "progress.json.tmp")
        with open(tmp, "w") as f:
            json.dump(dict(chunks=self.n, C=self.C, dim=self.dim, filled=filled, **extra), f)
        os.replace(tmp, os.path.join(self.root, "progress.json"))

    def put(self, start, ids, hidden, labels):
        b = ids.shape[0]
        self.ids[start:start + b] = ids.numpy().astype(np.int16)
        self.hidden[start:start + b] = hidden.numpy().astype(np.float16)
        self.labels[start:start + b] = labels.numpy().astype(np.int16)


@torch.no_grad()
def target_pass(target, ids):
    logits, h = target.train_forward(ids)
    labels = torch.cat([ids[:, :1], logits.argmax(-1)[:, :-1]], dim=1)
    return h, labels


@torch.no_grad()
def cache_domain_a(target, stream, root, C, batch=16, seed=7, log=print):
    n = len(stream) // C
    order = list(range(n))
    random.Random(seed).shuffle(order)
    store = ChunkStore(root, n, C, target.cfg["dim"], create=True)
    if store.filled:
        log(f"  [cache A] resuming after {store.filled} chunks")
    t0 = time.time()
    for s in range(store.filled, n, batch):
        idx = order[s:s + batch]
        ids = torch.from_numpy(np.stack([stream[i * C:(i + 1) * C] for i in idx]).astype(np.int64))
        h, labels = target_pass(target, ids)
        store.put(s, ids, h, labels)
        done = s + len(idx)
        store.write_progress(done, tokens=done * C, seconds=round(time.time() - t0, 1))
        if (s // batch) % 50 == 0 or done == n:
            el, new = time.time() - t0, done - store.filled
            log(f"  [cache A] {done}/{n} chunks, {new * C / el:.0f} tok/s, elapsed {el:.0f}s, "
                f"eta {el / new * (n - done):.0f}s", flush=True)
    return n


@torch.no_grad()
def greedy_batch(target, prompts, new_tokens):
    """Greedy continuation of equal-length prompts [B, P] through the KV-cached forward, on their device."""
    B, dev = prompts.shape[0], prompts.device
    pasts = target.empty_past(B, dev)
    cur, past_len, out = prompts, 0, [prompts]
    for _ in range(new_tokens):
        S = cur.shape[1]
        pos = torch.arange(past_len, past_len + S, device=dev).unsqueeze(0).expand(B, S)
        logits, _, presents = target(cur, pos, _mask(S, past_len, dev), pasts)
        pasts = [torch.cat([p, q], dim=1) for p, q in zip(pasts, presents)]
        past_len += S
        cur = logits[:, -1].argmax(-1, keepdim=True)
        out.append(cur)
    return torch.cat(out, dim=1)


@torch.no_grad()
def cache_self_distilled(target, stream, root, C, n, prompt_len=32, batch=32, seed=11, log=print):
    """n chunks: a random domain-A snippet of prompt_len tokens plus the target's greedy continuation."""
    rng = np.random.default_rng(seed)
    store = ChunkStore(root, n, C, target.cfg["dim"], create=True)
    t0 = time.time()
    for s in range(0, n, batch):
        b = min(batch, n - s)
        starts = rng.integers(0, len(stream) - prompt_len, b)  # drawn even when resuming: same chunks either way
        if s + b <= store.filled:
            continue
        prompts = torch.from_numpy(np.stack([stream[i:i + prompt_len] for i in starts]).astype(np.int64))
        ids = greedy_batch(target, prompts, C - prompt_len)
        h, labels = target_pass(target, ids)
        store.put(s, ids, h, labels)
        store.write_progress(s + b, tokens=(s + b) * C, prompt_len=prompt_len, seconds=round(time.time() - t0, 1))
        el, new = time.time() - t0, s + b - store.filled
        log(f"  [cache self-distilled] {s + b}/{n} chunks, {new * (C - prompt_len) / el:.0f} generated tok/s, "
            f"elapsed {el:.0f}s, eta {el / new * (n - s - b):.0f}s", flush=True)
    return n
