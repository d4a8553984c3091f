"""Drafter training invariants (run by .ci/run): /usr/bin/python3 models/toolchain/drafter_test.py

The training step scores attention through BlockMask (only what the chained-block masks allow); the dense
masks block1_mask / block2_mask stay the specification. These tests pin the two to each other: the same mask,
and the same hidden states, losses and gradients from a drafter trained either way.
"""
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402
import model  # noqa: E402
from model import SpecBlockDrafter, TargetLM  # noqa: E402


def toy_drafter(dim, layers, K, T, B, seed):
    """A small drafter on a random target, in training mode, with one random batch and its zero adapter."""
    torch.manual_seed(seed)
    target = TargetLM(vocab=64, dim=dim, layers=1, heads=2, mlp_dim=2 * dim, max_pos=128)
    drafter = SpecBlockDrafter(target.cfg, K=K, layers=layers, heads=2, head_dim=dim // 2, mlp_dim=3 * dim // 2,
                               rank_hidden=16, draft_vocab=list(range(0, 64, 2)))
    drafter.attach_target(target)
    drafter.train()
    n = T + 2 * K + 1
    batch = (torch.randint(0, 64, (B, n)), torch.randn(B, n, dim), torch.randint(0, 64, (B, n)))
    return drafter, batch, (torch.zeros(4, dim), torch.zeros(dim, 4))


def structures(T, K):
    m = {"b1": train.block1_structure(T, K)}
    for j in range(K):
        m[f"b2_{j}"] = train.block2_structure(T, K, j)
    return m


class BlockMaskTest(unittest.TestCase):
    def test_structures_equal_the_dense_masks(self):
        for T, K in ((7, 4), (16, 4), (5, 3), (9, 2)):
            self.assertTrue(torch.equal(train.block1_structure(T, K).dense(), train.block1_mask(T, K)), (T, K))
            for j in range(K):
                self.assertTrue(torch.equal(train.block2_structure(T, K, j).dense(), train.block2_mask(T, K, j)),
                                (T, K, j))

    def test_a_training_step_is_the_same_with_either_mask(self):
        K, T, B = 4, 12, 3
        for layers in (1, 2):
            drafter, (ids, h, labels), (za, zb) = toy_drafter(32, layers, K, T, B, seed=layers)
            dense = {"b1": train.block1_mask(T, K)}
            for j in range(K):
                dense[f"b2_{j}"] = train.block2_mask(T, K, j)
            block = structures(T, K)

            def step(masks, j2):
                drafter.zero_grad()
                outs = train.drafter_step_outputs(drafter, ids, h, labels, K, j2, masks)
                loss, rank, _ = train.drafter_losses(drafter, outs, j2, za, zb)
                (loss + 0.1 * rank).backward()
                return ([o[0].detach().clone() for o in outs], loss.item(), rank.item(),
                        {n: p.grad.clone() for n, p in drafter.named_parameters() if p.grad is not None})

            for j2 in range(K):
                a, b = step(dense, j2), step(block, j2)
                for x, y in zip(a[0], b[0]):
                    torch.testing.assert_close(y, x, rtol=1e-5, atol=1e-5)
                self.assertAlmostEqual(a[1], b[1], places=5)
                self.assertAlmostEqual(a[2], b[2], places=5)
                self.assertEqual(a[3].keys(), b[3].keys())
                for n in a[3]:
                    torch.testing.assert_close(b[3][n], a[3][n], rtol=1e-4, atol=1e-6, msg=f"{layers} layers, {n}")


class LowPrecisionMatmulTest(unittest.TestCase):
    def test_outside_the_block_layers_are_plain_fp32_linear_layers(self):
        torch.manual_seed(1)
        layer = model.Linear(16, 8)
        x = torch.randn(5, 16)
        self.assertTrue(torch.equal(layer(x), torch.nn.functional.linear(x, layer.weight, layer.bias)))

    def test_a_bf16_training_step_follows_the_fp32_one(self):
        K, T, B = 4, 16, 4
        drafter, (ids, h, labels), (za, zb) = toy_drafter(64, 1, K, T, B, seed=2)
        masks = structures(T, K)

        def step(dtype):
            drafter.zero_grad()
            with model.low_precision_matmuls(dtype):
                outs = train.drafter_step_outputs(drafter, ids, h, labels, K, 1, masks)
                loss, rank, _ = train.drafter_losses(drafter, outs, 1, za, zb)
            (loss + 0.1 * rank).backward()
            return loss.item(), torch.cat([p.grad.flatten() for p in drafter.parameters() if p.grad is not None])

        (l32, g32), (l16, g16) = step(None), step(torch.bfloat16)
        self.assertLess(abs(l16 - l32) / l32, 0.02)
        self.assertGreater(torch.nn.functional.cosine_similarity(g16, g32, dim=0).item(), 0.99)
        self.assertIn(train.matmul_dtype("auto"), (None, torch.bfloat16))
        with self.assertRaises(ValueError):
            train.matmul_dtype("fp8")


if __name__ == "__main__":
    unittest.main()
