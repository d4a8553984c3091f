"""Round trips and refusals of the HF export (run by .ci/run): /usr/bin/python3 models/toolchain/hf_test.py

Each fixture checkpoint is written from scratch, exported in both contracts (export-hf checks the cached
forward against the no-cache reference itself), and every bad checkpoint must fail with an error naming the
problem while leaving OUT absent.
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_export  # noqa: E402
import hf_fixtures  # noqa: E402
from hf_checkpoint import CheckpointError, read_safetensors, write_safetensors  # noqa: E402

QUIET = lambda *a, **k: None  # noqa: E731


class HfExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hf-test-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def checkpoint(self, name, label):
        d = hf_fixtures.write_checkpoint(name, os.path.join(self.tmp, label))
        return d

    def test_every_fixture_exports_in_both_contracts(self):
        for name in hf_fixtures.CONFIGS:
            ckpt = self.checkpoint(name, "ok-" + name)
            for contract in ("tree", "optimum", "optimum-merged"):
                out = os.path.join(self.tmp, f"out-{name}-{contract}")
                hf_export.run(ckpt, out, contract=contract, steps=6, log=QUIET)
                files = os.listdir(out)
                self.assertIn("tokenizer_config.json", files)
                if contract == "tree":
                    with open(os.path.join(out, "manifest.json")) as f:
                        m = json.load(f)
                    self.assertEqual(set(m["sha256"]), set(files) - {"manifest.json"})
                    self.assertIn("config.json", m["source"]["sha256"])
                    self.assertNotIn("drafter", m)
                else:
                    self.assertIn("model.onnx" if contract == "optimum" else "decoder_model_merged.onnx", files)

    def test_fp16_export_stores_half_weights(self):
        out = os.path.join(self.tmp, "out-fp16")
        hf_export.run(self.checkpoint("llama-gqa", "fp16"), out, dtype="fp16", steps=4, log=QUIET)
        plain = os.path.join(self.tmp, "out-fp32")
        hf_export.run(self.checkpoint("llama-gqa", "fp32"), plain, steps=4, log=QUIET)
        self.assertLess(os.path.getsize(os.path.join(out, "target.onnx")),
                        0.7 * os.path.getsize(os.path.join(plain, "target.onnx")))

    def test_smoke_drafter_is_trained_and_added_to_the_manifest(self):
        import hf_drafter
        out = os.path.join(self.tmp, "out-drafter")
        hf_export.run(self.checkpoint("llama-gqa", "drafter"), out, steps=4, log=QUIET)
        corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bpe.py")
        hf_drafter.run(out, [corpus], recipe="smoke", steps=2, log=QUIET)
        with open(os.path.join(out, "manifest.json")) as f:
            m = json.load(f)
        self.assertEqual(m["drafter"]["file"], "drafter.onnx")
        self.assertEqual(m["lm_head"]["shape"], [512, 48])
        for name in ("drafter.onnx", "lm_head.f16", "golden.json"):
            self.assertEqual(m["sha256"][name], hf_export.sha256(os.path.join(out, name)))
        with open(os.path.join(out, "golden.json")) as f:
            self.assertEqual(len(json.load(f)["drafter"]), 2)

    def refuse(self, ckpt, *fragments):
        out = os.path.join(self.tmp, "refused")
        with self.assertRaises(CheckpointError) as ctx:
            hf_export.run(ckpt, out, steps=2, log=QUIET)
        for f in fragments:
            self.assertIn(f, str(ctx.exception))
        self.assertFalse(os.path.exists(out), "a refused export must write nothing")
        self.assertEqual([x for x in os.listdir(self.tmp) if x.startswith(".export-hf-")], [])

    def edit_weights(self, ckpt, fn):
        path = os.path.join(ckpt, "model.safetensors")
        w = read_safetensors(path)
        fn(w)
        write_safetensors(path, w)

    def edit_config(self, ckpt, fn):
        path = os.path.join(ckpt, "config.json")
        with open(path) as f:
            cfg = json.load(f)
        fn(cfg)
        with open(path, "w") as f:
            json.dump(cfg, f)

    def test_a_graph_over_the_protobuf_limit_keeps_its_weights_in_one_data_file(self):
        import numpy as np
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        import export as demo_export
        w = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
        graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])],
                                  [numpy_helper.from_array(w, "w")])
        d = os.path.join(self.tmp, "external")
        os.makedirs(d)
        path = os.path.join(d, "target.onnx")
        demo_export.save_model(helper.make_model(graph), path, external_over=1024)  # a limit the test can reach

        self.assertTrue(os.path.isfile(path + ".data"))
        self.assertLess(os.path.getsize(path), 1024)
        back = onnx.load(path)
        self.assertTrue(np.array_equal(numpy_helper.to_array(back.graph.initializer[0]), w))

    def test_missing_tensor_is_named(self):
        ckpt = self.checkpoint("gpt2", "missing")
        self.edit_weights(ckpt, lambda w: w.pop("transformer.h.1.mlp.c_fc.bias"))
        self.refuse(ckpt, "h.1.mlp.c_fc.bias", "missing")

    def test_wrong_shape_is_named(self):
        ckpt = self.checkpoint("gpt2", "shape")
        self.edit_weights(ckpt, lambda w: w.update({"transformer.ln_f.weight": torch.ones(63)}))
        self.refuse(ckpt, "ln_f.weight", "[63]", "[64]")

    def test_a_truncated_shard_names_file_and_tensor(self):
        ckpt = self.checkpoint("gpt2", "truncated")
        path = os.path.join(ckpt, "model.safetensors")
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:len(data) // 2])
        self.refuse(ckpt, "model.safetensors", "truncated")

    def test_a_config_that_is_not_json_is_named(self):
        ckpt = self.checkpoint("gpt2", "badjson")
        with open(os.path.join(ckpt, "config.json"), "w") as f:
            f.write("{\n")
        self.refuse(ckpt, "config.json", "not valid JSON")

    def test_a_tokenizer_beyond_the_vocabulary_is_another_models(self):
        ckpt = self.checkpoint("llama-gqa", "bigtok")
        demo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo", "tokenizer.json")
        shutil.copy(demo, os.path.join(ckpt, "tokenizer.json"))  # 2,048 ids for a 512-token model
        self.refuse(ckpt, "tokenizer.json has token id 2047", "vocab_size 512")

    def test_unknown_architecture_is_named(self):
        ckpt = self.checkpoint("gpt2", "arch")
        self.edit_config(ckpt, lambda c: c.update(architectures=["FalconForCausalLM"]))
        self.refuse(ckpt, "FalconForCausalLM", "unsupported architecture")

    def test_unsupported_rope_scaling_is_named(self):
        ckpt = self.checkpoint("llama-gqa", "rope")
        self.edit_config(ckpt, lambda c: c.update(rope_scaling={"rope_type": "yarn", "factor": 4.0}))
        self.refuse(ckpt, "rope_scaling", "yarn")


if __name__ == "__main__":
    torch.set_num_threads(2)
    unittest.main(verbosity=2)
