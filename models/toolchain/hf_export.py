"""Exports a Hugging Face checkpoint for specserve (see models/export-hf.py for the command line).

Steps: read and validate the checkpoint, load it into the hand-written module, check the cached forward
against the independent no-cache reference (hf_reference), export the ONNX graph, record goldens, copy the
tokenizer files and write manifest.json. Everything goes to a temporary directory next to OUT, renamed into
place only at the end, so a failure leaves nothing partial behind.
"""
import hashlib
import json
import os
import shutil
import tempfile
import time

import numpy as np
import torch

import export as demo_export
import hf_reference
from hf_checkpoint import CheckpointError, read_checkpoint, read_json
from hf_model import HfCausalLM, OptimumExport, TreeExport, greedy_with_cache
from hf_tokenizer import byte_level, token_text

OPSET = 17
PROBES = [1, 2, 3, 5, 8, 13, 21, 34]
DEFAULT_PROMPTS = ["def fibonacci(n):\n    if n < 2:\n        return n\n",
                   "The quick brown fox jumps over the lazy dog. The quick",
                   "import os\nimport sys\n\nfor name in sys.argv[1:]:\n"]
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json",
                   "special_tokens_map.json")
KV_LAYOUT = ("past_key_values.{i}.key/value are [batch, kv_heads, past_len, head_dim] (BHSD); present.{i}.key/value "
             "hold ONLY the new positions of the call, [batch, seq, kv_heads, head_dim]; the runtime owns and "
             "compacts the cache. attention_mask is additive float [batch, 1, seq, past_len+seq]: 0 attends, "
             "-1e9 blocks.")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_model(ckpt, dtype):
    spec, weights = read_checkpoint(ckpt)
    if not spec.eos_ids:
        raise CheckpointError("config.json / generation_config.json: no eos_token_id")
    if spec.heads % spec.kv_heads:
        raise CheckpointError(f"config.json: num_attention_heads {spec.heads} is not a multiple of "
                              f"num_key_value_heads {spec.kv_heads}")
    model = HfCausalLM(spec)
    model.load_hf(weights)
    if dtype == "fp16":
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
            weights = {n: t.half().float() for n, t in weights.items()}
    return spec, weights, model.eval()


def prompts_from(path, tok, vocab):
    """[(text or None, ids)]: text lines need a byte-level BPE tokenizer; JSON lines may give prompt_ids."""
    enc = byte_level(tok)
    if path is None:
        if enc is None:
            g = np.random.default_rng(7)
            return [(None, [int(i) for i in g.integers(0, vocab, 12)]) for _ in range(3)]
        lines = [{"prompt": p} for p in DEFAULT_PROMPTS]
    else:
        with open(path, encoding="utf-8") as f:
            lines = [json.loads(x) if x.startswith("{") else {"prompt": x.rstrip("\n")} for x in f if x.strip()]
    out = []
    for obj in lines:
        if "prompt_ids" in obj:
            out.append((obj.get("prompt"), [int(i) for i in obj["prompt_ids"]]))
        elif enc is None:
            raise CheckpointError("--prompts: this tokenizer is not a plain byte-level BPE, so give prompts as "
                                  'JSON lines {"prompt_ids": [...]}')
        else:
            out.append((obj["prompt"], enc.encode(obj["prompt"])))
    return out


def highest_token_id(tok):
    """The largest id tokenizer.json can produce: its model's vocabulary and its added tokens."""
    vocab = (tok.get("model") or {}).get("vocab") or {}
    ids = list(vocab.values()) if isinstance(vocab, dict) else list(range(len(vocab)))  # Unigram: a list of pieces
    ids += [t.get("id", -1) for t in tok.get("added_tokens") or []]
    return max((i for i in ids if isinstance(i, int)), default=-1)


def check_reference(spec, weights, model, prompts, steps, log):
    """The cached torch forward must agree with the no-cache numpy reference: same tokens, close logits."""
    worst = 0.0
    for _, ids in prompts[:2]:
        toks, logits = greedy_with_cache(model, ids, steps)
        ref = hf_reference.logits(spec, weights, ids + toks[:-1])[len(ids) - 1:]
        got = torch.stack(logits).double().numpy()
        diff = float(np.abs(ref - got).max()) / max(1.0, float(np.abs(ref).max()))
        worst = max(worst, diff)
        if toks != [int(i) for i in ref.argmax(-1)] or diff > 1e-4:
            raise CheckpointError(f"internal check failed: the cached forward differs from the reference "
                                  f"(relative logit diff {diff:.2e}); please report this checkpoint")
    log(f"  forward check: cached torch forward == no-cache reference (relative max |dlogit| {worst:.1e})")
    return worst


def goldens(model, prompts, steps):
    cases = []
    for text, ids in prompts:
        toks, logits = greedy_with_cache(model, ids, steps)
        rows = []
        for t, lg in zip(toks, logits):
            top = torch.topk(lg, 5)
            rows.append({"token": t, "top_ids": top.indices.tolist(), "top_logits": top.values.tolist(),
                         "probe_logits": [float(lg[i]) for i in PROBES]})
        cases.append({"domain": f"p{len(cases)}", "prompt": text, "prompt_ids": ids, "generated": toks,
                      "steps": rows})
    return {"probe_ids": PROBES, "tolerance": 1e-4, "target": cases}


def _io(names, shapes, dtypes):
    return [{"name": n, "shape": s, "dtype": d} for n, s, d in zip(names, shapes, dtypes)]


def export_tree(model, path, kv_half=False):
    s = model.spec
    L, kvh, d = s.layers, s.kv_heads, s.head_dim
    past_names = [f"past_key_values.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    inputs = ["input_ids", "position_ids", "attention_mask"] + past_names
    outputs = ["logits", "last_hidden_state"] + present_names
    dyn = {"input_ids": {0: "batch", 1: "seq"}, "position_ids": {0: "batch", 1: "seq"},
           "attention_mask": {0: "batch", 2: "seq", 3: "total"}, "logits": {0: "batch", 1: "seq"},
           "last_hidden_state": {0: "batch", 1: "seq"}}
    dyn.update({n: {0: "batch", 2: "past"} for n in past_names})
    dyn.update({n: {0: "batch", 1: "seq"} for n in present_names})
    B, S, P = 1, 3, 2
    args = (torch.randint(0, s.vocab, (B, S)), torch.arange(P, P + S).unsqueeze(0), torch.zeros(B, 1, S, P + S),
            *[torch.zeros(B, kvh, P, d, dtype=torch.float16 if kv_half else torch.float32) for _ in range(2 * L)])
    torch.onnx.export(TreeExport(model, kv_half), args, path, input_names=inputs, output_names=outputs, dynamic_axes=dyn,
                      opset_version=OPSET, do_constant_folding=True)
    demo_export._finalize(path, {"target." + k: v for k, v in model.state_dict().items()})
    kv = ["batch", kvh, "past", d]
    return {"inputs": _io(inputs, [["batch", "seq"], ["batch", "seq"], ["batch", 1, "seq", "past+seq"]] + [kv] * (2 * L),
                          ["int64", "int64", "float32"] + ["float32"] * (2 * L)),
            "outputs": _io(outputs, [["batch", "seq", s.vocab], ["batch", "seq", s.dim]]
                           + [["batch", "seq", kvh, d]] * (2 * L), ["float32"] * (2 + 2 * L))}


def export_optimum(model, path):
    """The optimum-cli text-generation-with-past contract (model.onnx without use_cache_branch)."""
    s = model.spec
    L, kvh, d = s.layers, s.kv_heads, s.head_dim
    past_names = [f"past_key_values.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    dyn.update({n: {0: "batch_size", 2: "past_sequence_length"} for n in past_names})
    dyn.update({n: {0: "batch_size", 2: "past_sequence_length + 1"} for n in present_names})
    B, S, P = 1, 3, 2
    args = (torch.randint(0, s.vocab, (B, S)), torch.ones(B, P + S, dtype=torch.int64),
            torch.arange(P, P + S).unsqueeze(0), *[torch.zeros(B, kvh, P, d) for _ in range(2 * L)])
    torch.onnx.export(OptimumExport(model), args, path, input_names=["input_ids", "attention_mask", "position_ids"]
                      + past_names, output_names=["logits"] + present_names, dynamic_axes=dyn,
                      opset_version=OPSET, do_constant_folding=True)
    demo_export._finalize(path, {k: v for k, v in model.state_dict().items()})


def export_optimum_merged(model, path, tmp):
    """optimum's decoder_model_merged.onnx layout: one If on use_cache_branch over the with-past graph and the
    no-past graph, sharing the weights at the outer scope (what optimum.onnx.merge_decoders builds)."""
    import onnx
    from onnx import TensorProto, helper
    from hf_model import OptimumNoPastExport
    with_past = os.path.join(tmp, "with_past.onnx")
    no_past = os.path.join(tmp, "no_past.onnx")
    export_optimum(model, with_past)
    s = model.spec
    torch.onnx.export(OptimumNoPastExport(model), (torch.randint(0, s.vocab, (1, 3)), torch.ones(1, 3, dtype=torch.int64),
                                                   torch.arange(3).unsqueeze(0)), no_past,
                      input_names=["input_ids", "attention_mask", "position_ids"],
                      output_names=["logits"] + [f"present.{i}.{kv}" for i in range(s.layers) for kv in ("key", "value")],
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                    "attention_mask": {0: "batch_size", 1: "sequence_length"},
                                    "position_ids": {0: "batch_size", 1: "sequence_length"}},
                      opset_version=OPSET, do_constant_folding=True)
    demo_export._finalize(no_past, {k: v for k, v in model.state_dict().items()})
    a, b = onnx.load(with_past), onnx.load(no_past)

    def branch(g, prefix, name):
        outer = {i.name for i in g.input} | {i.name for i in g.initializer}
        rename = {}
        for node in g.node:
            node.name = prefix + node.name
            for j, o in enumerate(node.output):
                if o not in {x.name for x in g.output}:
                    rename[o] = prefix + o
                    node.output[j] = rename[o]
        for node in g.node:
            for j, i in enumerate(node.input):
                if i in rename and i not in outer:
                    node.input[j] = rename[i]
        outs = []
        for o in g.output:
            out_name = prefix + o.name
            for node in g.node:
                for j, x in enumerate(node.output):
                    if x == o.name:
                        node.output[j] = out_name
            for node in g.node:
                for j, x in enumerate(node.input):
                    if x == o.name:
                        node.input[j] = out_name
            outs.append(helper.make_tensor_value_info(out_name, o.type.tensor_type.elem_type, None))
        return helper.make_graph(list(g.node), name, [], outs), [o.name for o in g.output]

    inits = {i.name: i for i in b.graph.initializer}
    b_renamed = {}
    for i in list(b.graph.initializer):  # give B's initializers their own names unless identical to A's
        same = next((x for x in a.graph.initializer if x.name == i.name and x.raw_data == i.raw_data), None)
        if same is None:
            b_renamed[i.name] = "nc/" + i.name
    for node in b.graph.node:
        for j, x in enumerate(node.input):
            if x in b_renamed:
                node.input[j] = b_renamed[x]
    then_g, out_names = branch(a.graph, "wp/", "with_past")
    else_g, _ = branch(b.graph, "nc/", "no_past")
    extra = []
    for name, t in inits.items():
        if name in b_renamed:
            t.name = b_renamed[name]
            extra.append(t)
    cond = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    node = helper.make_node("If", ["use_cache_branch"], out_names, then_branch=then_g, else_branch=else_g,
                            name="optimum::if")
    graph = helper.make_graph([node], "merged", list(a.graph.input) + [cond], list(a.graph.output),
                              list(a.graph.initializer) + extra)
    merged = helper.make_model(graph, opset_imports=a.opset_import)
    demo_export.save_model(merged, path)
    for part in (with_past, no_past):  # and their external data, if they were large enough to have any
        for f in (part, part + ".data"):
            if os.path.exists(f):
                os.remove(f)


def run(ckpt, out, dtype="fp32", prompts_file=None, contract="tree", steps=16, force=False, log=print):
    t0 = time.time()
    out = os.path.abspath(out)
    if os.path.exists(out) and os.listdir(out) and not force:
        raise CheckpointError(f"{out} exists and is not empty (pass --force to replace it)")
    log(f"reading {ckpt}")
    spec, weights, model = load_model(ckpt, dtype)
    log(f"  {spec.architecture}: {spec.layers} layers, dim {spec.dim}, heads {spec.heads}/{spec.kv_heads} kv, "
        f"head_dim {spec.head_dim}, vocab {spec.vocab}, {'tied' if spec.tied else 'untied'} head, "
        f"eos {list(spec.eos_ids)}, {sum(p.numel() for p in model.parameters()):,} parameters")
    tok = read_json(ckpt, "tokenizer.json")
    highest = highest_token_id(tok)
    if highest >= spec.vocab:
        raise CheckpointError(f"tokenizer.json has token id {highest}, beyond config.json's vocab_size {spec.vocab}: "
                              "it is not this checkpoint's tokenizer")
    prompts = prompts_from(prompts_file, tok, spec.vocab)
    check_reference(spec, weights, model, prompts, min(steps, 8), log)
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-hf-", dir=parent)
    try:
        for name in TOKENIZER_FILES + ("config.json",):
            if os.path.isfile(os.path.join(ckpt, name)):
                shutil.copyfile(os.path.join(ckpt, name), os.path.join(tmp, name))
        if contract == "optimum":
            log("exporting model.onnx (Optimum contract)")
            export_optimum(model, os.path.join(tmp, "model.onnx"))
        elif contract == "optimum-merged":
            log("exporting decoder_model_merged.onnx (Optimum contract, merged decoder with use_cache_branch)")
            export_optimum_merged(model, os.path.join(tmp, "decoder_model_merged.onnx"), tmp)
        else:
            log("exporting target.onnx (tree contract)")
            io = export_tree(model, os.path.join(tmp, "target.onnx"))
            log(f"recording goldens ({len(prompts)} prompts x {steps} steps)")
            with open(os.path.join(tmp, "golden.json"), "w") as f:
                json.dump(goldens(model, prompts, steps), f)
            write_manifest(tmp, ckpt, spec, tok, io, dtype)
        os.chmod(tmp, 0o755)
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"wrote {out} in {time.time() - t0:.1f} s")
    return out


def write_manifest(tmp, ckpt, spec, tok, io, dtype):
    files = sorted(f for f in os.listdir(tmp) if f != "manifest.json")
    source_files = sorted(f for f in os.listdir(ckpt) if os.path.isfile(os.path.join(ckpt, f)))
    manifest = {
        "format": "specserve-manifest/1",
        "name": os.path.basename(os.path.normpath(ckpt)),
        "source": {"checkpoint": os.path.abspath(ckpt), "architecture": spec.architecture,
                   "sha256": {f: sha256(os.path.join(ckpt, f)) for f in source_files}},
        "tokenizer": {"file": "tokenizer.json", "vocab_size": spec.vocab, "eos_id": spec.eos_ids[0],
                      "eos_ids": list(spec.eos_ids), "eos_token": token_text(tok, spec.eos_ids[0]) or "",
                      "bos_id": spec.bos_id},
        "target": {"file": "target.onnx", "contract": "tree", "context_length": spec.context,
                   "config": {"vocab": spec.vocab, "dim": spec.dim, "layers": spec.layers, "heads": spec.heads,
                              "kv_heads": spec.kv_heads, "head_dim": spec.head_dim, "mlp_dim": spec.mlp_dim,
                              "max_pos": spec.max_pos, "tied_head": spec.tied, "family": spec.family,
                              "rope_theta": spec.rope_theta, "rope_scaling": spec.rope_scaling},
                   "io": io, "past_layout": "bhsd", "kv_layout": KV_LAYOUT,
                   "weights_storage": "fp16 initializers upcast to fp32 in-graph" if dtype == "fp16" else "fp32"},
        "golden": {"file": "golden.json"},
        "sha256": {f: sha256(os.path.join(tmp, f)) for f in files},
    }
    with open(os.path.join(tmp, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
