"""ONNX export with stable initializer names and fp16 storage, plus goldens and bench prompts."""
import json
import os
import random

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

import target_graph
from model import DrafterExport, causal_mask, NEG

OPSET = 17
DRAFTER_TOPK = 10
TARGET_PAST_LAYOUT = "bhsd"
KV_LAYOUT_DOC = ("past_key_values.{i}.key/value are [batch, past_len, heads, head_dim] (BSHD; the target's are "
                 "[batch, heads, past_len, head_dim] when target.past_layout is bhsd); "
                 "present.{i}.key/value hold ONLY the new positions of the call, [batch, seq, heads, head_dim]; "
                 "the runtime owns and compacts the cache. attention_mask is additive float "
                 "[batch, 1, seq, past_len+seq]: 0 attends, -1e9 blocks.")


def round_to_fp16(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.half().float())


def _io(names, shapes, dtypes):
    return [{"name": n, "shape": s, "dtype": d} for n, s, d in zip(names, shapes, dtypes)]


def export_target(target, path):
    """Writes the target's graph (target_graph.build: a BHSD past read in place, one Q|K|V projection per layer,
    RoPE as two products and a sum) and returns the manifest's io."""
    c = target.cfg
    L, h, d = c["layers"], c["heads"], c["head_dim"]
    past_names = [f"past_key_values.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    inputs = ["input_ids", "position_ids", "attention_mask"] + past_names
    outputs = ["logits", "last_hidden_state"] + present_names
    onnx.save(target_graph.build(target, inputs, outputs, OPSET), path)
    kv = ["batch", h, "past", d]
    return {"inputs": _io(inputs, [["batch", "seq"], ["batch", "seq"], ["batch", 1, "seq", "past+seq"]] + [kv] * (2 * L),
                          ["int64", "int64", "float32"] + ["float32"] * (2 * L)),
            "outputs": _io(outputs, [["batch", "seq", c["vocab"]], ["batch", "seq", c["dim"]]]
                           + [["batch", "seq", h, d]] * (2 * L), ["float32"] * (2 + 2 * L))}


RAGGED_NOTE = ("the target's weights with each layer's attention as com.microsoft GroupQueryAttention: each "
               "sequence attends over its own past rows (seqlens_k), and the new rows are written into the past "
               "buffer in place when each present is bound to its past; ONNX Runtime's CPU kernel takes a batch "
               "of one (prefill, trees) or of one row per sequence (plain steps)")


def export_target_ragged(target, path):
    """Writes the ragged-attention graph of the same weights (target_graph.build_ragged) and returns the manifest's
    target.ragged entry (file name, io, note)."""
    c = target.cfg
    L, h, d = c["layers"], c["heads"], c["head_dim"]
    past_names = [f"past_key_values.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    inputs = ["input_ids", "position_ids", "seqlens_k", "total_sequence_length", "attention_bias", "logits_from"] + past_names
    outputs = ["logits", "last_hidden_state"] + present_names
    onnx.save(target_graph.build_ragged(target, inputs, outputs, OPSET), path)
    kv = ["batch", h, "max", d]
    return {"file": os.path.basename(path), "note": RAGGED_NOTE,
            "io": {"inputs": _io(inputs, [["batch", "seq"], ["batch", "seq"], ["batch"], [], ["batch", 1, "seq", "total"], [1]]
                                 + [kv] * (2 * L), ["int64", "int64", "int32", "int32", "float32", "int64"]
                                 + ["float32"] * (2 * L)),
                   "outputs": _io(outputs, [["batch", "seq - logits_from", c["vocab"]], ["batch", "seq", c["dim"]]]
                                  + [kv] * (2 * L),
                                  ["float32"] * (2 + 2 * L))}}


def export_drafter(drafter, path, rank):
    c = drafter.cfg
    L, h, d, H = c["layers"], c["heads"], c["head_dim"], c["dim"]
    B, S, P = 1, 4, 2
    past = [torch.zeros(B, P, h, d) for _ in range(2 * L)]
    args = (torch.randint(0, c["vocab"], (B, S)), torch.randn(B, S, H), torch.tensor([[0, 1, 2, 3]]),
            torch.tensor([0, 0, 1, 2]), torch.arange(P, P + S).unsqueeze(0), torch.zeros(B, 1, S, P + S),
            torch.zeros(rank, H), torch.zeros(H, rank), *past)
    past_names = [f"past_key_values.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    inputs = ["input_ids", "hidden_in", "slot_ids", "shift_index", "position_ids", "attention_mask",
              "adapter_a", "adapter_b"] + past_names
    outputs = ["hidden_out", "topk_ids", "topk_logprobs", "rank_logits"] + present_names
    dyn = {n: {0: "batch", 1: "seq"} for n in ["input_ids", "hidden_in", "slot_ids", "position_ids",
                                                "hidden_out", "topk_ids", "topk_logprobs", "rank_logits"]}
    dyn["shift_index"] = {0: "seq"}
    dyn["attention_mask"] = {0: "batch", 2: "seq", 3: "total"}
    for n in past_names:
        dyn[n] = {0: "batch", 1: "past"}
    for n in present_names:
        dyn[n] = {0: "batch", 1: "seq"}
    torch.onnx.export(DrafterExport(drafter, DRAFTER_TOPK), args, path, input_names=inputs,
                      output_names=outputs, dynamic_axes=dyn, opset_version=OPSET, do_constant_folding=True)
    named = {"drafter." + k: v for k, v in drafter.state_dict().items()}
    named["target.embed.weight"] = drafter.embed_weight
    named["drafter.head.weight"] = drafter.head_weight
    _finalize(path, named)
    kv = ["batch", "past", h, d]
    io_in = _io(inputs, [["batch", "seq"], ["batch", "seq", H], ["batch", "seq"], ["seq"], ["batch", "seq"],
                         ["batch", 1, "seq", "past+seq"], [rank, H], [H, rank]] + [kv] * (2 * L),
                ["int64", "float32", "int64", "int64", "int64", "float32", "float32", "float32"] + ["float32"] * (2 * L))
    if L == 1:  # no layer-wise shift: the exporter drops the unused input
        io_in = [t for t in io_in if t["name"] != "shift_index"]
    return {"inputs": io_in,
            "outputs": _io(outputs, [["batch", "seq", H], ["batch", "seq", DRAFTER_TOPK], ["batch", "seq", DRAFTER_TOPK],
                                     ["batch", "seq", 4]] + [["batch", "seq", h, d]] * (2 * L),
                           ["float32", "int64", "float32", "float32"] + ["float32"] * (2 * L))}


# A protobuf holds at most 2 GB: a larger graph keeps its weights in one external data file beside it (ONNX
# Runtime reads it from the model's directory; the manifest hashes it with every other output file).
EXTERNAL_DATA_OVER_BYTES = 1_800_000_000


def save_model(model, path, external_over=None):
    """Checks and saves model at path, its initializers in path + '.data' when they exceed the protobuf limit."""
    limit = EXTERNAL_DATA_OVER_BYTES if external_over is None else external_over
    size = sum(len(t.raw_data) or (int(np.prod(t.dims)) * 4) for t in model.graph.initializer)
    if size <= limit:
        onnx.checker.check_model(model)
        onnx.save(model, path)
        return
    data = os.path.basename(path) + ".data"
    if os.path.exists(os.path.join(os.path.dirname(path) or ".", data)):
        os.remove(os.path.join(os.path.dirname(path) or ".", data))
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data,
                    size_threshold=1024)
    onnx.checker.check_model(path)  # by path: the in-memory model may be over the limit


def _finalize(path, named):
    """Gives folded initializers stable names and stores lossless-in-fp16 weights as fp16 + Cast."""
    model = onnx.load(path)
    g = model.graph
    for node in list(g.node):  # tensors traced in as Constant nodes (the drafter's frozen embedding and head) become
        attr = node.attribute[0] if node.op_type == "Constant" and len(node.attribute) == 1 else None
        if attr is not None and attr.name == "value" and attr.t.data_type == TensorProto.FLOAT \
                and int(np.prod(attr.t.dims)) >= 1024:  # initializers, so they are named, deduplicated and fp16
            g.initializer.append(numpy_helper.from_array(numpy_helper.to_array(attr.t), node.output[0]))
            g.node.remove(node)
    lookup = {}
    for name, t in named.items():
        a = t.detach().float().contiguous().numpy()
        lookup.setdefault((a.shape, a.tobytes()), name)
        if a.ndim == 2:
            at = np.ascontiguousarray(a.T)
            lookup.setdefault((at.shape, at.tobytes()), name + ".T")
    rename, used = {}, {i.name for i in g.initializer}
    for init in g.initializer:
        if init.name.startswith("onnx::") or init.name.startswith("/") or init.name[:1].isdigit():
            arr = numpy_helper.to_array(init)
            if arr.dtype != np.float32:
                continue
            new = lookup.get((arr.shape, arr.tobytes()))
            if new:
                base, n = new, 1
                while new in used:
                    n += 1
                    new = f"{base}#{n}"
                used.add(new)
                rename[init.name] = new
    for init in g.initializer:
        if init.name in rename:
            init.name = rename[init.name]
    for node in g.node:
        for i, inp in enumerate(node.input):
            if inp in rename:
                node.input[i] = rename[inp]
    # a weight traced in twice (the drafter head, read for the base and for the adapted logits) is kept once;
    # only large tensors, where equal bytes can only mean the same weight (small ones, such as untrained norms, may
    # be equal by chance, and each keeps its name for target_onnx.load_state)
    first = {}
    for init in list(g.initializer):
        if int(np.prod(init.dims)) < 4096:
            continue
        key = (tuple(init.dims), init.data_type, numpy_helper.to_array(init).tobytes())
        if key in first:
            rename[init.name] = first[key]
            g.initializer.remove(init)
        else:
            first[key] = init.name
    for node in g.node:
        for i, inp in enumerate(node.input):
            if inp in rename:
                node.input[i] = rename[inp]
    leftovers = [i.name for i in g.initializer if i.name.startswith("onnx::")]
    inits, casts = [], []
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size >= 1024 and np.array_equal(arr.astype(np.float16).astype(np.float32), arr):
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + ".fp16")
            inits.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                          name="upcast/" + init.name))
        else:
            inits.append(init)
    del g.initializer[:]
    g.initializer.extend(inits)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    save_model(model, path)
    if leftovers:
        print(f"  note: unnamed folded initializers kept: {leftovers[:5]}")


def write_lm_head(target, path):
    target.embed.weight.detach().half().numpy().astype("<f2").tofile(path)


def _mask(S, P, device=None):
    return torch.cat([torch.zeros(1, 1, S, P, device=device), causal_mask(S, device)], dim=-1)


@torch.no_grad()
def greedy_with_cache(target, ids, steps):
    """Greedy decode through the same cached forward the ONNX graph exports."""
    pasts = target.empty_past(1)
    P = 0
    cur = torch.tensor([ids])
    out, step_logits, hiddens = [], [], []
    for _ in range(steps):
        S = cur.shape[1]
        pos = torch.arange(P, P + S).unsqueeze(0)
        logits, h, presents = target(cur, pos, _mask(S, P), pasts)
        pasts = [torch.cat([p, n], dim=1) for p, n in zip(pasts, presents)]
        P += S
        last = logits[0, -1]
        nxt = int(last.argmax())
        out.append(nxt)
        step_logits.append(last)
        hiddens.append(h[0])
        cur = torch.tensor([[nxt]])
    return out, step_logits, hiddens


def _prompt_from(text, max_chars):
    cut = text[:max_chars]
    nl = cut.rfind("\n")
    return cut[:nl + 1] if nl > 40 else cut


@torch.no_grad()
def golden_outputs(target, drafter, tok, streams, cfg, rank):
    probe_ids = [1, 2, 3, 5, 8, 13, 21, 34]
    cases = []
    rng = random.Random(99)
    sources = []
    for d in ("A", "B"):
        texts = [t for t in streams_texts[d] if len(t) > 400][: cfg["golden_prompts"]]
        sources += [(d, t) for t in texts]
    for d, text in sources:
        prompt = _prompt_from(text, 300)
        ids = tok.encode(prompt)
        gen, logits, _ = greedy_with_cache(target, ids, cfg["golden_steps"])
        steps = []
        for tkn, lg in zip(gen, logits):
            top = torch.topk(lg, 5)
            steps.append({"token": tkn, "top_ids": top.indices.tolist(), "top_logits": top.values.tolist(),
                          "probe_logits": [float(lg[i]) for i in probe_ids]})
        cases.append({"domain": d, "prompt": prompt, "prompt_ids": ids, "generated": gen,
                      "text": tok.decode(gen), "steps": steps})
    return {"probe_ids": probe_ids, "tolerance": 1e-4, "target": cases,
            "drafter": drafter_golden(target, drafter, cases[0], rank), "drafter_uses_case": 0}


@torch.no_grad()
def drafter_golden(target, drafter, case, rank):
    """The drafter's goldens on a target golden case: context pairs plus one block, zero and random adapter."""
    return drafter_cases(target, drafter, case["prompt_ids"], rank, case["generated"][0])


@torch.no_grad()
def drafter_cases(target, drafter, ids, rank, gen0=None):
    """Drafter golden cases for DrafterParity in Java, for any target with the tree contract's forward
    (the demo's or an exported HF model): context pairs, the anchor and one block, with a zero and a random
    adapter. gen0 is the first generated token (default: the target's greedy choice)."""
    K = drafter.K
    H = drafter.dim
    g = torch.Generator().manual_seed(5)
    adapters = {"zero": (torch.zeros(rank, H), torch.zeros(H, rank)),
                "random": ((torch.randn(rank, H, generator=g) * 0.05).half().float(),
                           (torch.randn(H, rank, generator=g) * 0.05).half().float())}
    n = len(ids)
    logits, h, _ = target(torch.tensor([ids]), torch.arange(n).unsqueeze(0), _mask(n, 0), target.empty_past(1))
    if gen0 is None:
        gen0 = int(logits[0, -1].argmax())
    # context pairs (h_t, x_{t+1}) for t < n-1, then the anchor (h_{n-1}, first generated token), then K-1 slots
    tokens = ids[1:] + [gen0] + [0] * (K - 1)
    hidden = torch.cat([h[0], h[0, -1:].expand(K - 1, H)], dim=0).unsqueeze(0)
    slots = [0] * n + list(range(1, K))
    shift = list(range(n)) + [n - 1 + k for k in range(K - 1)]
    pos = list(range(1, n + 1)) + [n + k for k in range(1, K)]
    S = n + K - 1
    mask = torch.full((S, S), NEG)
    for q in range(S):
        for kk in range(S):
            if (q < n and kk <= q) or (q >= n and (kk < n or (n <= kk <= q))):
                mask[q, kk] = 0.0
    d2t = getattr(drafter, "d2t", None)
    cases = []
    for name, (a, b) in adapters.items():
        exp = DrafterExport(drafter, DRAFTER_TOPK)
        outs = exp(torch.tensor([tokens]), hidden, torch.tensor([slots]), torch.tensor(shift),
                   torch.tensor([pos]), mask.view(1, 1, S, S), a, b, *drafter.empty_past(1))
        hid, tids, tlp, rk = outs[0][0], outs[1][0], outs[2][0], outs[3][0]
        if d2t is not None:
            tids = d2t[tids]  # ids as target tokens
        cases.append({"adapter": name, "adapter_a": a.flatten().tolist(), "adapter_b": b.flatten().tolist(),
                      "input_ids": tokens, "slot_ids": slots, "shift_index": shift, "position_ids": pos,
                      "mask": "prompt causal; block slots see all context and earlier slots",
                      "last_k_topk_ids": tids[-K:].tolist(), "last_k_topk_logprobs": tlp[-K:].tolist(),
                      "last_k_rank_logits": rk[-K:].tolist(), "last_k_hidden_head": hid[-K:, :8].tolist()})
    return cases


streams_texts = {}


def write_bench_prompts(doms, bench_dir, per_domain):
    os.makedirs(bench_dir, exist_ok=True)
    rng = random.Random(2024)
    for d, fname in (("A", "python-heldout.jsonl"), ("B", "java-heldout.jsonl")):
        pairs = [(p, t) for p, t in zip(doms[d]["val_paths"], doms[d]["val"]) if len(t) > 1500]
        rng.shuffle(pairs)
        with open(os.path.join(bench_dir, fname), "w") as f:
            for path, text in pairs[:per_domain]:
                lines = text.splitlines(keepends=True)
                start = rng.randrange(0, max(1, len(lines) // 2))
                prompt, i = "", start
                while i < len(lines) and len(prompt) < 600:
                    prompt += lines[i]
                    i += 1
                f.write(json.dumps({"prompt": prompt, "source": path, "domain": d}) + "\n")


INT8_BLOCK = 32  # weights share a scale per 32 input features (64 flipped a near-tie of the 2026-12-04 drafter); activations are quantized per row and block


def quantize_drafter(src, dst):
    """Writes the drafter with int8 weights for the CPU: every MatMul whose right side is a stored weight becomes an
    ONNX Runtime MatMulNBits (com.microsoft, 8 bits, blocks of INT8_BLOCK along the input dimension, symmetric:
    zero point 128) with accuracy_level 4, so the CPU multiplies in int8 after quantizing each row of the
    activations per block. Per row matters: a row's drafts then depend on that row alone, not on which other
    sequences share the batch (DynamicQuantizeMatMul quantizes the whole activation tensor with one scale). A
    drafter call on the CPU is bound by re-reading its weights after every target forward; int8 weights are a
    quarter of the fp32 bytes. Everything else (attention, norms, the embedding the graph gathers from, the
    adapter) is left as it is, so the graph keeps its inputs and outputs. Deterministic: the same drafter.onnx
    gives the same bytes. Returns a manifest entry."""
    model = onnx.load(src)
    g = model.graph
    init = {i.name: i for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    quantized, added = {}, []
    for i, node in enumerate(list(g.node)):
        if node.op_type != "MatMul":
            continue
        cast = producer.get(node.input[1])
        weight = node.input[1] if node.input[1] in init else (
            cast.input[0] if cast is not None and cast.op_type == "Cast" and cast.input[0] in init else None)
        if weight is None:
            continue
        w = numpy_helper.to_array(init[weight]).astype(np.float32)  # [K, N]
        if w.ndim != 2:
            continue
        k, n = w.shape
        if weight not in quantized:
            blocks = (k + INT8_BLOCK - 1) // INT8_BLOCK
            padded = np.zeros((blocks * INT8_BLOCK, n), np.float32)
            padded[:k] = w
            wt = padded.T.reshape(n, blocks, INT8_BLOCK)
            scale = np.abs(wt).max(axis=2) / 127.0
            scale[scale == 0] = 1.0
            q = (np.clip(np.round(wt / scale[:, :, None]), -127, 127) + 128).astype(np.uint8)
            added += [numpy_helper.from_array(q, weight + ".int8"),
                      numpy_helper.from_array(scale.reshape(-1).astype(np.float32), weight + ".scale")]
            quantized[weight] = [k, n]
        g.node.remove(node)
        g.node.insert(i, helper.make_node("MatMulNBits", [node.input[0], weight + ".int8", weight + ".scale"],
                                          list(node.output), name=node.name + "/int8", domain="com.microsoft",
                                          K=k, N=n, bits=8, block_size=INT8_BLOCK, accuracy_level=4))
    used = {x for n in g.node for x in n.input}
    for n in [n for n in g.node if n.op_type == "Cast" and not any(o in used for o in n.output)]:
        g.node.remove(n)
    used = {x for n in g.node for x in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept + added)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, dst)
    return {"file": os.path.basename(dst),
            "method": f"the MatMul weights as symmetric int8 with a scale per {INT8_BLOCK} input features in ONNX "
                      f"Runtime's MatMulNBits (bits 8, accuracy_level 4: int8 products, activations quantized per "
                      f"row and block, so a row's drafts do not depend on its batch); the rest unchanged",
            "served": "by default on the CPU execution provider (drafter_precision=auto); the full-precision file "
                      "stays the drafter's identity (its sha256 names its versions) and is what CUDA serves",
            "weights": sorted(quantized)}
