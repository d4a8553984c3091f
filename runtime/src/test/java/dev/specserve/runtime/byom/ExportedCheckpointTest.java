package dev.specserve.runtime.byom;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.model.GreedyDecoder;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.ort.SessionFactory;
import dev.specserve.runtime.parity.GoldenParity;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HF checkpoints exported by models/export-hf.py serve from Java exactly as PyTorch computed them: the
 * goldens (greedy tokens and logits) reproduce, and one tree-masked forward equals decoding each path alone.
 * Each fixture stresses a different generality: GQA with an untied head and head_dim != dim/heads (Llama),
 * q/k/v bias with a tied head (Qwen2), Conv1D weights and learned positions (GPT-2).
 */
class ExportedCheckpointTest {
    static final SessionFactory SESSIONS = new SessionFactory(ExecutionDevice.CPU, 2);

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "qwen2-tied", "gpt2"})
    void javaGreedyTokensAndLogitsEqualTheToolchainsTorchGoldens(String name) {
        ModelManifest m = ManifestLoader.load(ByomModels.dir(name));
        assertThat(m.hasDrafter()).isFalse();
        try (TextTokenizer tok = TextTokenizer.load(m.tokenizer().file(), m.tokenizer().eosIds());
             TargetModel target = new TargetModel(SESSIONS, m.target())) {
            GoldenParity.Report report = GoldenParity.run(m, target, tok);
            assertThat(report.cases()).hasSize(3);
            for (GoldenParity.CaseResult c : report.cases()) {
                assertThat(c.idsMatch()).as("%s %s: Java tokenization equals the exporter's", name, c.domain()).isTrue();
                assertThat(c.tokensMatch()).as("%s %s: greedy tokens (first mismatch %d)", name, c.domain(),
                        c.firstMismatch()).isTrue();
                assertThat(c.maxLogitDiff()).as("%s %s: max |dlogit|", name, c.domain()).isLessThanOrEqualTo(1e-4);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "qwen2-tied", "gpt2"})
    void oneTreeMaskedForwardEqualsEachPathDecodedAlone(String name) {
        ModelManifest m = ManifestLoader.load(ByomModels.dir(name));
        try (TargetModel target = new TargetModel(SESSIONS, m.target())) {
            int[] prompt = {17, 300, 42, 5, 99, 256, 7};
            int root = 64;
            DraftTree tree = new DraftTree(); // root -> {a -> {c, d -> g}, b -> {e, f}}
            int a = tree.add(DraftTree.ROOT, 11, -1, -1);
            int b = tree.add(DraftTree.ROOT, 12, -2, -1);
            tree.add(a, 13, -3, -1);
            int d = tree.add(a, 14, -4, -1);
            tree.add(b, 15, -5, -1);
            tree.add(b, 16, -6, -1);
            tree.add(d, 17, -7, -1);
            TargetOutput treeOut = target.forward(tree.verifyTokens(root), tree.verifyPositions(prompt.length),
                    tree.verifyMask(prompt.length), prefilled(target, prompt));
            for (int node = DraftTree.ROOT; node < tree.size(); node++) {
                int[] path = tree.path(node);
                int[] linear = new int[path.length + 1];
                int[] positions = new int[linear.length];
                linear[0] = root;
                for (int i = 0; i < linear.length; i++) {
                    linear[i] = i == 0 ? root : tree.token(path[i - 1]);
                    positions[i] = prompt.length + i;
                }
                TargetOutput pathOut = target.forward(linear, positions, Masks.causal(linear.length, prompt.length),
                        prefilled(target, prompt));
                double max = 0;
                for (int v = 0; v < treeOut.vocab(); v++) {
                    max = Math.max(max, Math.abs(treeOut.logit(node + 1, v) - pathOut.logit(linear.length - 1, v)));
                }
                assertThat(max).as("%s node %d: tree logits vs its own path's", name, node).isLessThan(1e-4);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "qwen2-tied", "gpt2"})
    void cachedDecodingEqualsFullRecomputation(String name) {
        ModelManifest m = ManifestLoader.load(ByomModels.dir(name));
        try (TargetModel target = new TargetModel(SESSIONS, m.target())) {
            GreedyDecoder g = new GreedyDecoder(target);
            int[] prompt = {3, 1, 4, 1, 5, 9, 2, 6};
            var cached = g.decode(prompt, 10);
            var full = g.decodeWithoutCache(prompt, 10);
            assertThat(cached.stream().mapToInt(GreedyDecoder.Step::token).toArray())
                    .isEqualTo(full.stream().mapToInt(GreedyDecoder.Step::token).toArray());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa"})
    void gqaCacheRowsAreKvHeadsTimesHeadDimAndEveryEosIdIsKept(String name) {
        ModelManifest m = ManifestLoader.load(ByomModels.dir(name));
        assertThat(m.target().heads()).isEqualTo(6);
        assertThat(m.target().kvHeads()).isEqualTo(2);
        assertThat(m.target().headDim()).isNotEqualTo(m.target().dim() / m.target().heads());
        assertThat(m.tokenizer().eosIds()).containsExactly(0, 198);
        try (TargetModel target = new TargetModel(SESSIONS, m.target())) {
            KvCache cache = target.newCache(64);
            assertThat(cache.bytes()).isEqualTo(2L * m.target().layers() * 64 * 2 * 12 * Float.BYTES);
        }
    }

    static KvCache prefilled(TargetModel target, int[] prompt) {
        KvCache cache = target.newCache(prompt.length + 16);
        int[] positions = new int[prompt.length];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i;
        }
        TargetOutput out = target.forward(prompt, positions, Masks.causal(prompt.length, 0), cache);
        cache.appendAll(out.present(), prompt.length);
        return cache;
    }
}
