"""Reads a Hugging Face causal-LM checkpoint directory without transformers or safetensors.

`read_checkpoint(dir)` returns an `HfSpec` (the validated architecture: every config field that changes the
math, typed) and the raw weights as a {name: float32 torch tensor} dict with the `model.` / `transformer.`
prefixes removed. Anything it cannot honour raises `CheckpointError` naming the field, file or tensor.
"""
import glob
import json
import os
from dataclasses import dataclass, field

import numpy as np
import torch

FAMILIES = {"LlamaForCausalLM": "llama", "MistralForCausalLM": "llama", "Qwen2ForCausalLM": "qwen2",
            "GPT2LMHeadModel": "gpt2"}
ACTIVATIONS = ("silu", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu")
SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "BF16": "bf16",
                      "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_}


class CheckpointError(ValueError):
    """The checkpoint cannot be exported; the message names the problem."""


@dataclass(frozen=True)
class HfSpec:
    family: str                 # llama | qwen2 | gpt2
    architecture: str
    vocab: int
    dim: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    mlp_dim: int
    max_pos: int
    context: int
    norm_eps: float
    act: str
    tied: bool
    qkv_bias: bool
    o_bias: bool
    mlp_bias: bool
    rope_theta: float
    rope_scaling: dict = field(default=None)
    bos_id: int = None
    eos_ids: tuple = ()


def _need(cfg, key, name="config.json"):
    if key not in cfg or cfg[key] is None:
        raise CheckpointError(f"{name}: required field '{key}' is missing")
    return cfg[key]


def _eos_ids(cfg, gen):
    ids = []
    for src in (gen or {}, cfg):
        v = src.get("eos_token_id")
        for i in (v if isinstance(v, list) else [v] if v is not None else []):
            if int(i) not in ids:
                ids.append(int(i))
    return tuple(ids)


def parse_config(cfg, gen=None):
    archs = cfg.get("architectures") or []
    if len(archs) != 1 or archs[0] not in FAMILIES:
        raise CheckpointError(f"config.json: unsupported architecture {archs or cfg.get('model_type')!r}; "
                              f"supported: {', '.join(FAMILIES)}")
    arch = archs[0]
    family = FAMILIES[arch]
    if family == "gpt2":
        return _parse_gpt2(cfg, gen, arch)
    dim, heads = int(_need(cfg, "hidden_size")), int(_need(cfg, "num_attention_heads"))
    act = cfg.get("hidden_act", "silu")
    if act not in ACTIVATIONS:
        raise CheckpointError(f"config.json: unsupported hidden_act '{act}' (supported: {', '.join(ACTIVATIONS)})")
    scaling = cfg.get("rope_scaling")
    if scaling is not None:
        kind = scaling.get("rope_type", scaling.get("type"))
        if kind not in ("default", "llama3"):
            raise CheckpointError(f"config.json: unsupported rope_scaling type '{kind}' (supported: none, default, llama3)")
        if kind == "default":
            scaling = None
        else:
            for k in ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"):
                _need(scaling, k, "config.json rope_scaling")
    max_pos = int(_need(cfg, "max_position_embeddings"))
    context = max_pos
    if family == "qwen2" and cfg.get("use_sliding_window"):
        raise CheckpointError("config.json: use_sliding_window=true is not supported (sliding-window attention)")
    if arch == "MistralForCausalLM" and cfg.get("sliding_window"):
        context = min(context, int(cfg["sliding_window"]))  # within the window full attention is exact
    for key, neutral in (("partial_rotary_factor", 1.0), ("attn_logit_softcapping", None),
                         ("final_logit_softcapping", None), ("logits_scaling", 1.0)):
        if cfg.get(key, neutral) != neutral:
            raise CheckpointError(f"config.json: {key}={cfg[key]} is not supported")
    qkv_bias = family == "qwen2" or bool(cfg.get("attention_bias", False))
    return HfSpec(
        family=family, architecture=arch, vocab=int(_need(cfg, "vocab_size")), dim=dim,
        layers=int(_need(cfg, "num_hidden_layers")), heads=heads,
        kv_heads=int(cfg.get("num_key_value_heads") or heads),
        head_dim=int(cfg.get("head_dim") or dim // heads), mlp_dim=int(_need(cfg, "intermediate_size")),
        max_pos=max_pos, context=context, norm_eps=float(cfg.get("rms_norm_eps", 1e-6)), act=act,
        tied=bool(cfg.get("tie_word_embeddings", False)), qkv_bias=qkv_bias,
        o_bias=family == "llama" and bool(cfg.get("attention_bias", False)),
        mlp_bias=family == "llama" and bool(cfg.get("mlp_bias", False)),
        rope_theta=float(cfg.get("rope_theta", 10000.0)), rope_scaling=scaling,
        bos_id=cfg.get("bos_token_id", (gen or {}).get("bos_token_id")), eos_ids=_eos_ids(cfg, gen))


def _parse_gpt2(cfg, gen, arch):
    act = cfg.get("activation_function", "gelu_new")
    if act not in ACTIVATIONS:
        raise CheckpointError(f"config.json: unsupported activation_function '{act}'")
    if cfg.get("scale_attn_by_inverse_layer_idx"):
        raise CheckpointError("config.json: scale_attn_by_inverse_layer_idx=true is not supported")
    if cfg.get("scale_attn_weights") is False:
        raise CheckpointError("config.json: scale_attn_weights=false is not supported")
    dim, heads = int(_need(cfg, "n_embd")), int(_need(cfg, "n_head"))
    max_pos = int(_need(cfg, "n_positions"))
    return HfSpec(
        family="gpt2", architecture=arch, vocab=int(_need(cfg, "vocab_size")), dim=dim,
        layers=int(_need(cfg, "n_layer")), heads=heads, kv_heads=heads, head_dim=dim // heads,
        mlp_dim=int(cfg.get("n_inner") or 4 * dim), max_pos=max_pos, context=max_pos,
        norm_eps=float(cfg.get("layer_norm_epsilon", 1e-5)), act=act, tied=bool(cfg.get("tie_word_embeddings", True)),
        qkv_bias=True, o_bias=True, mlp_bias=True, rope_theta=0.0, rope_scaling=None,
        bos_id=cfg.get("bos_token_id"), eos_ids=_eos_ids(cfg, gen))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise CheckpointError(f"{os.path.basename(path)}: not a safetensors file (too short)")
    n = int.from_bytes(data[:8], "little")
    try:
        header = json.loads(data[8:8 + n])
    except ValueError as e:
        raise CheckpointError(f"{os.path.basename(path)}: safetensors header is not JSON ({e})")
    base = 8 + n
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dt = SAFETENSORS_DTYPES.get(meta["dtype"])
        if dt is None:
            raise CheckpointError(f"{os.path.basename(path)}: tensor '{name}' has unsupported dtype {meta['dtype']}")
        start, end = meta["data_offsets"]
        raw = data[base + start:base + end]
        want = int(np.prod(meta["shape"], dtype=np.int64)) * (2 if dt == "bf16" else np.dtype(dt).itemsize)
        if end - start != want or len(raw) != want:
            raise CheckpointError(f"{os.path.basename(path)}: tensor '{name}' {meta['dtype']} {meta['shape']} needs "
                                  f"{want} bytes, the file holds {len(raw)} (truncated or corrupt; download it again)")
        if dt == "bf16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(dt).newbyteorder("<"))
        out[name] = torch.from_numpy(arr.reshape(meta["shape"]).astype(np.float32))
    return out


def write_safetensors(path, tensors):
    """Writes {name: tensor} as safetensors (fp32 or fp16, as the tensors are)."""
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy()
        code = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}[a.dtype]
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)


def weight_files(ckpt):
    """The checkpoint's weight files, in load order: safetensors (indexed or not) first, else pytorch_model*.bin."""
    for index_name in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        index = os.path.join(ckpt, index_name)
        if os.path.isfile(index):
            try:
                with open(index) as f:
                    shards = sorted(set(json.load(f)["weight_map"].values()))
            except (ValueError, KeyError, AttributeError) as e:
                raise CheckpointError(f"{index} is not a weight index with a weight_map ({e!r})")
            missing = [s for s in shards if not os.path.isfile(os.path.join(ckpt, s))]
            if missing:
                raise CheckpointError(f"{index_name} names shard(s) that do not exist: {', '.join(missing)}")
            return [os.path.join(ckpt, s) for s in shards]
    files = sorted(glob.glob(os.path.join(ckpt, "*.safetensors"))) or sorted(glob.glob(os.path.join(ckpt, "pytorch_model*.bin")))
    if not files:
        raise CheckpointError(f"{ckpt}: no *.safetensors or pytorch_model*.bin weight files")
    return files


def read_weights(ckpt):
    weights = {}
    for path in weight_files(ckpt):
        if path.endswith(".safetensors"):
            part = read_safetensors(path)
        else:
            try:
                part = torch.load(path, map_location="cpu")
            except Exception as e:  # noqa: BLE001 - report any unreadable pickle the same way
                raise CheckpointError(f"{os.path.basename(path)}: cannot read ({e})")
            part = {k: v.float() for k, v in part.items() if torch.is_tensor(v)}
        weights.update(part)
    out = {}
    for name, t in weights.items():
        for prefix in ("model.", "transformer."):
            if name.startswith(prefix):
                name = name[len(prefix):]
                break
        out[name] = t
    return out


def read_json(ckpt, name, required=True):
    path = os.path.join(ckpt, name)
    if not os.path.isfile(path):
        if required:
            raise CheckpointError(f"{ckpt}: {name} is missing")
        return None
    with open(path) as f:
        try:
            return json.load(f)
        except ValueError as e:
            raise CheckpointError(f"{path} is not valid JSON ({e})")


def read_checkpoint(ckpt):
    if not os.path.isdir(ckpt):
        raise CheckpointError(f"checkpoint directory {ckpt} does not exist")
    cfg = read_json(ckpt, "config.json")
    gen = read_json(ckpt, "generation_config.json", required=False)
    spec = parse_config(cfg, gen)
    read_json(ckpt, "tokenizer.json")
    return spec, read_weights(ckpt)
