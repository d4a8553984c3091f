"""Checks target_graph.build against TargetLM itself, with no ONNX Runtime in Python: a small interpreter runs
the built graph's nodes in torch (only the operator types the builder writes; anything else fails the test).

Run: /usr/bin/python3 target_graph_test.py (exit 0 when every check passes). .ci/run runs it.
"""
import math
import sys

import numpy as np
import torch
from onnx import numpy_helper

import target_graph
from model import TargetLM, causal_mask, NEG

torch.manual_seed(0)


def run_graph(model, feeds):
    """Evaluates an ONNX ModelProto node by node in torch (float64 off: the same float32 math as the model)."""
    env = {i.name: torch.from_numpy(np.array(numpy_helper.to_array(i))) for i in model.graph.initializer}
    env.update(feeds)
    for n in model.graph.node:
        a = {x.name: x for x in n.attribute}
        x = [env[i] for i in n.input]
        t = n.op_type
        if t == "Cast":
            out = [x[0].float()]
        elif t == "Gather":
            out = [x[0][x[1]]]
        elif t == "Shape":
            out = [torch.tensor(list(x[0].shape)[a["start"].i:a["end"].i], dtype=torch.int64)]
        elif t == "Concat":
            out = [torch.cat(x, dim=a["axis"].i)]
        elif t == "MatMul":
            out = [torch.matmul(x[0], x[1])]
        elif t == "Reshape":
            shape = [x[0].shape[i] if s == 0 else s for i, s in enumerate(x[1].tolist())]
            out = [x[0].reshape(shape)]
        elif t == "Split":
            out = list(torch.split(x[0], x[1].tolist(), dim=a["axis"].i))
        elif t in ("Mul", "Add", "Div"):
            out = [{"Mul": torch.mul, "Add": torch.add, "Div": torch.div}[t](x[0], x[1])]
        elif t == "Transpose":
            out = [x[0].permute(*a["perm"].ints)]
        elif t == "Softmax":
            out = [torch.softmax(x[0], dim=a["axis"].i)]
        elif t == "Erf":
            out = [torch.erf(x[0])]
        elif t == "LayerNormalization":
            out = [torch.nn.functional.layer_norm(x[0], x[0].shape[-1:], x[1], x[2], a["epsilon"].f)]
        else:
            raise AssertionError(f"the builder wrote an operator this check does not know: {t}")
        for name, value in zip(n.output, out):
            env[name] = value
    return [env[o.name] for o in model.graph.output]


def check_against_model():
    target = TargetLM(vocab=96, dim=32, layers=2, heads=2, mlp_dim=64, max_pos=64).eval()
    for p in target.parameters():  # stored weights are fp16-exact, as export.round_to_fp16 makes them
        p.data.copy_(p.data.half().float())
    L, h, d = 2, 2, 16
    inputs = ["input_ids", "position_ids", "attention_mask"] + [f"past_key_values.{i}.{kv}" for i in range(L)
                                                                 for kv in ("key", "value")]
    outputs = ["logits", "last_hidden_state"] + [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    graph = target_graph.build(target, inputs, outputs, 17)
    P, S = 7, 5
    ids = torch.randint(0, 96, (2, P + S))
    pos = torch.arange(P + S).unsqueeze(0).expand(2, -1)
    with torch.no_grad():
        _, _, past = target(ids[:, :P], pos[:, :P], causal_mask(P), target.empty_past(2))
        tree = torch.zeros(1, 1, S, P + S)
        tree[..., P:] = torch.triu(torch.full((S, S), NEG), diagonal=1)
        tree[..., 2, P + 1] = NEG  # a tree, not a chain: row 2 does not see row 1
        want = target(ids[:, P:], pos[:, P:], tree, past)
    feeds = {"input_ids": ids[:, P:], "position_ids": pos[:, P:], "attention_mask": tree}
    for i in range(2 * L):
        feeds[inputs[3 + i]] = past[i].transpose(1, 2).contiguous()  # BSHD from the model, BHSD into the graph
    got = run_graph(graph, feeds)
    assert torch.allclose(got[0], want[0], atol=1e-5), f"logits differ by {(got[0] - want[0]).abs().max():.2e}"
    assert torch.allclose(got[1], want[1], atol=1e-5), "last_hidden_state differs"
    for i in range(2 * L):
        assert torch.allclose(got[2 + i], want[2][i], atol=1e-5), f"{outputs[2 + i]} differs"
    names = {init.name for init in graph.graph.initializer}
    assert "target.blocks.0.attn.q.weight.T.fp16" in names and "t.embed.weight.fp16" in names, \
        "weights must keep the names target_onnx.load_state reads back"
    print(f"ok: built graph ({len(graph.graph.node)} nodes) equals TargetLM on a tree over a past "
          f"(max logit diff {(got[0] - want[0]).abs().max():.1e})")


def check_rope_rotation():
    x = torch.randn(3, 16)
    cos, sin = torch.randn(8), torch.randn(8)
    from model import apply_rope
    want = apply_rope(x.view(3, 1, 1, 16), cos.view(1, 1, 1, 8), sin.view(1, 1, 1, 8)).view(3, 16)
    r = torch.from_numpy(target_graph.rope_rotation(16))
    got = x * cos.repeat_interleave(2) + (x @ r) * sin.repeat_interleave(2)
    assert torch.equal(got, want), "RoPE as x*C + (x@R)*S must be exact, not merely close"
    print("ok: RoPE as two products and a sum is bit-exact")


if __name__ == "__main__":
    check_rope_rotation()
    check_against_model()
    sys.exit(0)
