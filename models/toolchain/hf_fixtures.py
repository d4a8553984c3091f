"""Writes tiny randomly initialised checkpoints in the exact Hugging Face layout (test fixtures).

Usage: /usr/bin/python3 models/toolchain/hf_fixtures.py --out DIR [--export DIR2]

The Java tests' model directories are regenerated with
  /usr/bin/python3 models/toolchain/hf_fixtures.py --out /tmp/hf-fixtures --export runtime/src/test/resources/byom

  DIR/llama-gqa   LlamaForCausalLM, 6 heads / 2 KV heads, head_dim 12 != hidden/heads, untied head,
                  llama3 rope_scaling, two EOS ids; sharded safetensors with model.safetensors.index.json
  DIR/qwen2-tied  Qwen2ForCausalLM with q/k/v bias and tied embeddings; pytorch_model.bin
  DIR/gpt2        GPT2LMHeadModel (Conv1D weights, learned positions); model.safetensors

The tokenizer is the demo's byte-level BPE cut to its first 512 ids (the merges are ordered, so the cut is a
valid tokenizer). Weights are drawn with a fixed seed and a wide spread, so greedy choices are not near-ties.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_checkpoint import parse_config, write_safetensors  # noqa: E402
from hf_model import HfCausalLM  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = 512
SPREAD = 3.0
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")

CONFIGS = {
    "llama-gqa": dict(architectures=["LlamaForCausalLM"], model_type="llama", vocab_size=VOCAB, hidden_size=48,
                      intermediate_size=96, num_hidden_layers=2, num_attention_heads=6, num_key_value_heads=2,
                      head_dim=12, hidden_act="silu", max_position_embeddings=256, rms_norm_eps=1e-5,
                      rope_theta=500000.0, tie_word_embeddings=False, attention_bias=False, bos_token_id=0,
                      eos_token_id=0, torch_dtype="float32",
                      rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                        original_max_position_embeddings=64)),
    "qwen2-tied": dict(architectures=["Qwen2ForCausalLM"], model_type="qwen2", vocab_size=VOCAB, hidden_size=64,
                       intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       hidden_act="silu", max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=1000000.0,
                       tie_word_embeddings=True, use_sliding_window=False, sliding_window=4096, bos_token_id=0,
                       eos_token_id=0, torch_dtype="float32"),
    "gpt2": dict(architectures=["GPT2LMHeadModel"], model_type="gpt2", vocab_size=VOCAB, n_embd=64, n_layer=2,
                 n_head=4, n_positions=128, n_inner=128, activation_function="gelu_new", layer_norm_epsilon=1e-5,
                 bos_token_id=0, eos_token_id=0, scale_attn_weights=True, tie_word_embeddings=True),
}
GENERATION = {"llama-gqa": {"bos_token_id": 0, "eos_token_id": [0, 198], "do_sample": False},
              "qwen2-tied": {"eos_token_id": [0], "do_sample": False}}


def tokenizer_json():
    with open(os.path.join(HERE, "..", "demo", "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    tok["model"]["vocab"] = {s: i for s, i in tok["model"]["vocab"].items() if i < VOCAB}
    tok["model"]["merges"] = tok["model"]["merges"][:VOCAB - 257]
    return tok


def random_weights(name, cfg):
    spec = parse_config(cfg)
    model = HfCausalLM(spec)
    g = torch.Generator().manual_seed(sum(map(ord, name)))
    out = {}
    for n, p in model.state_dict().items():
        if n.endswith("norm.weight") or n.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
            t = 1 + 0.1 * torch.randn(p.shape, generator=g)
        elif n.endswith(".bias"):
            t = 0.1 * torch.randn(p.shape, generator=g)
        elif "embed" in n or n.startswith(("wte", "wpe")):
            t = torch.randn(p.shape, generator=g) * (0.5 if n.startswith("wpe") else 1.0)
        else:  # wide layers, so the residual stream is not just the input embedding (tied heads would echo it)
            t = torch.randn(p.shape, generator=g) * (SPREAD / p.shape[-1] ** 0.5)
        if spec.family == "gpt2" and n.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight")):
            t = t.t().contiguous()  # Conv1D layout [in, out]
        out[n] = t.contiguous()
    prefix = "transformer." if spec.family == "gpt2" else "model."
    return {(n if n.startswith("lm_head") else prefix + n): t for n, t in out.items()}


def write_checkpoint(name, out):
    cfg = CONFIGS[name]
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    weights = random_weights(name, cfg)
    if name == "llama-gqa":
        names = list(weights)
        shards = {"model-00001-of-00002.safetensors": names[:len(names) // 2],
                  "model-00002-of-00002.safetensors": names[len(names) // 2:]}
        for f, ns in shards.items():
            write_safetensors(os.path.join(d, f), {n: weights[n] for n in ns})
        index = {"metadata": {"total_size": sum(t.numel() * 4 for t in weights.values())},
                 "weight_map": {n: f for f, ns in shards.items() for n in ns}}
        _json(os.path.join(d, "model.safetensors.index.json"), index)
    elif name == "qwen2-tied":
        torch.save(weights, os.path.join(d, "pytorch_model.bin"))
    else:
        write_safetensors(os.path.join(d, "model.safetensors"), weights)
    _json(os.path.join(d, "config.json"), cfg)
    _json(os.path.join(d, "tokenizer.json"), tokenizer_json())
    tc = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "model_max_length": 256,
          "tokenizer_class": "PreTrainedTokenizerFast"}
    if name == "llama-gqa":
        tc["chat_template"] = TEMPLATE
    _json(os.path.join(d, "tokenizer_config.json"), tc)
    if name in GENERATION:
        _json(os.path.join(d, "generation_config.json"), GENERATION[name])
    return d


def _json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory to write the checkpoints into")
    ap.add_argument("--only", choices=sorted(CONFIGS), help="write just this one")
    ap.add_argument("--export", metavar="DIR", help="also export each one into DIR/NAME (tree contract) and "
                    "DIR/llama-gqa-optimum and -optimum-merged (Optimum contract), as the Java tests' resources are made")
    a = ap.parse_args()
    for name in ([a.only] if a.only else CONFIGS):
        ckpt = write_checkpoint(name, a.out)
        print(f"fixture {name}: {ckpt}")
        if a.export:
            import hf_export
            hf_export.run(ckpt, os.path.join(a.export, name), force=True, steps=12)
            if name == "llama-gqa":
                hf_export.run(ckpt, os.path.join(a.export, name + "-optimum"), contract="optimum", force=True)
                hf_export.run(ckpt, os.path.join(a.export, name + "-optimum-merged"), contract="optimum-merged",
                              force=True)


if __name__ == "__main__":
    main()
