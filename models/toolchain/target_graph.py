"""The target's ONNX graph, written node by node instead of traced.

torch.onnx.export turns every `view`, interleaved-RoPE slice and `reshape` of a dynamic shape into chains of
Shape / Gather / Unsqueeze / Concat nodes: about 600 nodes after ONNX Runtime's own fusions, two thirds of them
shape arithmetic that costs a kernel launch each on every forward. This builder writes the same computation
(TargetLM over a BHSD past) in about 250:

* one Q|K|V projection per layer (the three stored weights are concatenated in the graph; Runtime folds that
  constant Concat when it loads the model), reshaped with a constant [0, 0, 3h, d] shape and split;
* interleaved RoPE as x * C + (x @ R) * S, where R is the constant 64 x 64 matrix that swaps each (even, odd)
  pair and negates the even result, and C / S are the cos / sin tables with each entry repeated for its pair.
  Every output element is the same two products and one sum as model.apply_rope, so it is exact;
* the past's length is read once per forward (Shape with start/end), not once per layer.

The attention scores the past and the new rows with one product each (each divided by sqrt(d), which Runtime
folds into the product), concatenates, masks, takes one softmax and splits it: the cache is read in place.
Weight initialisers keep export._finalize's names (target.*, ".T" for pre-transposed Linear weights, fp16 +
Cast where lossless), so target_onnx.load_state reads the weights back from this graph too.
"""
import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class _Graph:
    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def op(self, op_type, inputs, outputs=1, name=None, **attrs):
        self.count += 1
        tag = name or f"{op_type}_{self.count}"
        outs = [f"{tag}/out{i}" for i in range(outputs)] if isinstance(outputs, int) else list(outputs)
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=tag, **attrs))
        return outs[0] if len(outs) == 1 else outs

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, name, array):
        """A float weight, stored as fp16 + Cast when that is lossless (as export._finalize does)."""
        a = np.ascontiguousarray(array, dtype=np.float32)
        if a.size >= 1024 and np.array_equal(a.astype(np.float16).astype(np.float32), a):
            self.inits.append(numpy_helper.from_array(a.astype(np.float16), name + ".fp16"))
            self.nodes.insert(0, helper.make_node("Cast", [name + ".fp16"], [name], to=TensorProto.FLOAT,
                                                  name="upcast/" + name))
        else:
            self.inits.append(numpy_helper.from_array(a, name))
        return name


def rope_rotation(d):
    """R with (x @ R)[2j] = -x[2j+1] and (x @ R)[2j+1] = x[2j]."""
    r = np.zeros((d, d), dtype=np.float32)
    for j in range(d // 2):
        r[2 * j + 1, 2 * j] = -1.0
        r[2 * j, 2 * j + 1] = 1.0
    return r


def build(target, inputs, outputs, opset):
    """Returns the ModelProto of `target` (a TargetLM) with the given io names (export.export_target's)."""
    return _build(target, inputs, outputs, opset, ragged=False)


def build_ragged(target, inputs, outputs, opset):
    """The same weights with each layer's attention as one com.microsoft GroupQueryAttention node (ONNX Runtime's
    contrib op): inputs ids, positions, seqlens_k [batch] (each sequence's past + new rows - 1), total_sequence_length,
    attention_bias [batch, 1, seq, total] (added to the scores; the op is causal, the bias removes non-ancestors of
    a tree), logits_from [1] (logits are computed for rows logits_from.. only) and the pasts; each sequence attends over its own rows only, and the new rows are written into the past
    buffer in place when the caller binds each present to its past (export.export_target_ragged)."""
    return _build(target, inputs, outputs, opset, ragged=True)


def _build(target, inputs, outputs, opset, ragged):
    c = target.cfg
    L, h, d, D = c["layers"], c["heads"], c["head_dim"], c["dim"]
    sd = {k: v.detach().float().numpy() for k, v in target.state_dict().items()}
    g = _Graph()
    ids, pos, mask = inputs[0], inputs[1], inputs[2]
    cos = np.repeat(target.rope_cos.numpy(), 2, axis=1)[:, None, :]  # [max_pos, 1, d], pairs share an angle
    sin = np.repeat(target.rope_sin.numpy(), 2, axis=1)[:, None, :]
    C = g.op("Gather", [g.const("rope.cos", cos), pos], name="rope/cos")  # [B, S, 1, d]
    S = g.op("Gather", [g.const("rope.sin", sin), pos], name="rope/sin")
    R = g.const("rope.rotate", rope_rotation(d))
    if not ragged:
        past_len = g.op("Shape", [inputs[3]], name="shape/past", start=2, end=3)
        new_len = g.op("Shape", [ids], name="shape/seq", start=1, end=2)
        split_past_new = g.op("Concat", [past_len, new_len], name="shape/past_new", axis=0)
    qkv_shape = g.const("shape.qkv", np.array([0, 0, 3 * h, d], dtype=np.int64))
    out_shape = g.const("shape.attn_out", np.array([0, 0, h * d], dtype=np.int64))
    split_qk_v = g.const("split.qk_v", np.array([2 * h, h], dtype=np.int64))
    if ragged:
        flat2 = g.const("shape.qk_flat", np.array([0, 0, 2 * h * d], dtype=np.int64))
        split_q_k_flat = g.const("split.q_k_flat", np.array([h * d, h * d], dtype=np.int64))
    else:
        split_q_k = g.const("split.q_k", np.array([h, h], dtype=np.int64))
        scale = g.const("attn.scale", np.array(math.sqrt(d), dtype=np.float32))
    sqrt2, one, half = (g.const(n, np.array(v, dtype=np.float32))
                        for n, v in (("gelu.sqrt2", math.sqrt(2.0)), ("gelu.one", 1.0), ("gelu.half", 0.5)))

    def layer_norm(x, prefix, tag):
        return g.op("LayerNormalization", [x, g.weight(prefix + ".weight", sd[prefix[len("t."):] + ".weight"]),
                                           g.weight(prefix + ".bias", sd[prefix[len("t."):] + ".bias"])],
                    name=tag, axis=-1, epsilon=1e-5)

    def linear_t(key):  # the pre-transposed [in, out] weight of a Linear, named as the traced export names it
        return g.weight(f"target.{key}.weight.T", sd[f"{key}.weight"].T)

    x = g.op("Gather", [g.weight("t.embed.weight", sd["embed.weight"]), ids], name="embed")
    for i in range(L):
        p = f"blocks.{i}"
        a = layer_norm(x, f"t.{p}.ln1", f"{p}/ln1")
        w_qkv = g.op("Concat", [linear_t(f"{p}.attn.q"), linear_t(f"{p}.attn.k"), linear_t(f"{p}.attn.v")],
                     name=f"{p}/attn/w_qkv", axis=1)
        qkv = g.op("Reshape", [g.op("MatMul", [a, w_qkv], name=f"{p}/attn/qkv"), qkv_shape], name=f"{p}/attn/heads")
        qk, v = g.op("Split", [qkv, split_qk_v], [f"{p}/attn/qk", f"{p}/attn/v" if ragged else f"present.{i}.value"],
                     name=f"{p}/attn/split_v", axis=2)
        rotated = g.op("MatMul", [qk, R], name=f"{p}/rope/rotate")
        qk = g.op("Add", [g.op("Mul", [qk, C], name=f"{p}/rope/cos"), g.op("Mul", [rotated, S], name=f"{p}/rope/sin")],
                  name=f"{p}/rope/add")
        if ragged:
            q, k = g.op("Split", [g.op("Reshape", [qk, flat2], name=f"{p}/attn/qk_flat"), split_q_k_flat], 2,
                        name=f"{p}/attn/split_qk", axis=2)
            out = g.op("GroupQueryAttention", [q, k, g.op("Reshape", [v, out_shape], name=f"{p}/attn/v_flat"),
                                               inputs[6 + 2 * i], inputs[7 + 2 * i], inputs[2], inputs[3], "", "", "",
                                               inputs[4]],
                       [f"{p}/attn/out", outputs[2 + 2 * i], outputs[3 + 2 * i]], name=f"{p}/attn/gqa",
                       domain="com.microsoft", num_heads=h, kv_num_heads=h)[0]
        else:
            q, k = g.op("Split", [qk, split_q_k], [f"{p}/attn/q", f"present.{i}.key"], name=f"{p}/attn/split_qk", axis=2)
            q = g.op("Transpose", [q], name=f"{p}/attn/q_bhsd", perm=[0, 2, 1, 3])
            # each product divided on its own, which Runtime fuses into its MatMul (FusedMatMul's alpha)
            scores = g.op("Concat", [
                g.op("Div", [g.op("MatMul", [q, g.op("Transpose", [inputs[3 + 2 * i]], name=f"{p}/attn/past_kT",
                                                       perm=[0, 1, 3, 2])], name=f"{p}/attn/scores_past"), scale],
                     name=f"{p}/attn/scale_past"),
                g.op("Div", [g.op("MatMul", [q, g.op("Transpose", [k], name=f"{p}/attn/kT", perm=[0, 2, 3, 1])],
                                  name=f"{p}/attn/scores_new"), scale], name=f"{p}/attn/scale_new")],
                name=f"{p}/attn/scores", axis=-1)
            scores = g.op("Add", [scores, mask], name=f"{p}/attn/mask")
            probs_past, probs_new = g.op("Split", [g.op("Softmax", [scores], name=f"{p}/attn/softmax", axis=-1),
                                                   split_past_new], 2, name=f"{p}/attn/split_probs", axis=-1)
            out = g.op("Add", [
                g.op("MatMul", [probs_past, inputs[4 + 2 * i]], name=f"{p}/attn/out_past"),
                g.op("MatMul", [probs_new, g.op("Transpose", [v], name=f"{p}/attn/v_bhsd", perm=[0, 2, 1, 3])],
                     name=f"{p}/attn/out_new")], name=f"{p}/attn/out")
            out = g.op("Reshape", [g.op("Transpose", [out], name=f"{p}/attn/out_bshd", perm=[0, 2, 1, 3]), out_shape],
                       name=f"{p}/attn/merge")
        x = g.op("Add", [x, g.op("MatMul", [out, linear_t(f"{p}.attn.o")], name=f"{p}/attn/o")], name=f"{p}/res1")
        u = g.op("MatMul", [layer_norm(x, f"t.{p}.ln2", f"{p}/ln2"), linear_t(f"{p}.up")], name=f"{p}/up")
        erf = g.op("Erf", [g.op("Div", [u, sqrt2], name=f"{p}/gelu/div")], name=f"{p}/gelu/erf")
        gelu = g.op("Mul", [g.op("Mul", [u, g.op("Add", [erf, one], name=f"{p}/gelu/add")], name=f"{p}/gelu/mul"), half],
                    name=f"{p}/gelu/half")
        x = g.op("Add", [x, g.op("MatMul", [gelu, linear_t(f"{p}.down")], name=f"{p}/down")], name=f"{p}/res2")
    hidden = g.op("LayerNormalization", [x, g.weight("t.norm.weight", sd["norm.weight"]),
                                         g.weight("t.norm.bias", sd["norm.bias"])], [outputs[1]], name="norm",
                  axis=-1, epsilon=1e-5)
    if ragged:  # logits only from row logits_from on: a prefill chunk needs its last row's, not the LM head on all
        hidden = g.op("Slice", [hidden, inputs[5], g.const("slice.end", np.array([2 ** 62], dtype=np.int64)),
                                g.const("slice.axis", np.array([1], dtype=np.int64))], name="logit_rows")
    g.op("MatMul", [hidden, linear_t("embed")], [outputs[0]], name="lm_head")
    if ragged:  # the past is a buffer of "max" rows per sequence; each present is that same buffer
        kv = ["batch", h, "max", d]
        graph_inputs = [helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "seq"]),
                        helper.make_tensor_value_info(pos, TensorProto.INT64, ["batch", "seq"]),
                        helper.make_tensor_value_info(inputs[2], TensorProto.INT32, ["batch"]),
                        helper.make_tensor_value_info(inputs[3], TensorProto.INT32, []),
                        helper.make_tensor_value_info(inputs[4], TensorProto.FLOAT, ["batch", 1, "seq", "total"]),
                        helper.make_tensor_value_info(inputs[5], TensorProto.INT64, [1])]
        graph_inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, kv) for n in inputs[6:]]
        present = [helper.make_tensor_value_info(n, TensorProto.FLOAT, kv) for n in outputs[2:]]
    else:
        kv = ["batch", h, "past", d]
        graph_inputs = ([helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "seq"]),
                         helper.make_tensor_value_info(pos, TensorProto.INT64, ["batch", "seq"]),
                         helper.make_tensor_value_info(mask, TensorProto.FLOAT, ["batch", 1, "seq", "total"])]
                        + [helper.make_tensor_value_info(n, TensorProto.FLOAT, kv) for n in inputs[3:]])
        present = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", "seq", h, d]) for n in outputs[2:]]
    logit_rows = "logit_rows" if ragged else "seq"
    graph_outputs = [helper.make_tensor_value_info(outputs[0], TensorProto.FLOAT, ["batch", logit_rows, c["vocab"]]),
                     helper.make_tensor_value_info(outputs[1], TensorProto.FLOAT, ["batch", "seq", D])] + present
    graph = helper.make_graph(g.nodes, "specserve-target", graph_inputs, graph_outputs, g.inits)
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("com.microsoft", 1)] if ragged else [])
    model = helper.make_model(graph, opset_imports=opsets, producer_name="specserve")
    onnx.checker.check_model(model)
    return model
