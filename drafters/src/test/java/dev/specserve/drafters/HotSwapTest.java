package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.drafters.update.AdapterTrainer;
import dev.specserve.drafters.update.LmHead;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Swapping drafter weights between rounds changes proposals, never the output. */
class HotSwapTest {
    static ModelStack stack;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.versions().activate(stack.versions().bundled());
        stack.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"eagle", "specblock-static", "specblock"})
    void greedyOutputIsUnchangedWhenTheAdapterIsSwappedEveryRound(String strategy) {
        DrafterVersions versions = stack.versions();
        DrafterVersion original = versions.current();
        var info = stack.manifest().drafter();
        List<DrafterVersion> candidates = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            candidates.add(versions.create(perturbedAdapter(info.adapterRank(), info.dim(), i), original.id(),
                    Map.of("test", i)));
        }
        String prompt = GreedyEqualsAutoregressiveTest.PROMPTS.get(2);
        int[] ids = stack.tokenizer().encode(prompt);
        DraftBudget budget = new DraftBudget(24, 8);
        GenerationResult reference = stack.decoder().generate(GenerationRequest.greedy(ids, 48, budget),
                stack.strategy("none", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
        List<Long> versionsSeen = new ArrayList<>();
        try {
            GenerationResult swapped = stack.decoder().generate(GenerationRequest.greedy(ids, 48, budget),
                    stack.strategy(strategy, DrafterConfig.expanding()), (round, emitted) -> {
                        versionsSeen.add(round.drafterVersion());
                        versions.activate(candidates.get(round.index() % candidates.size()));
                    }, () -> false);

            assertThat(swapped.tokens()).containsExactly(reference.tokens());
            // version 0: a round the planner served as a plain step (it may, on a loaded machine), drafting nothing
            List<Long> drafted = versionsSeen.stream().filter(v -> v != 0).toList();
            assertThat(drafted.stream().distinct().count()).as("distinct versions used by drafted rounds")
                    .isGreaterThan(Math.min(2, drafted.size() - 1));
        } finally {
            versions.activate(original);
        }
    }

    /** An adapter that really changes the drafter's proposals (a LoRA start has B = 0 and changes nothing). */
    static Adapter perturbedAdapter(int rank, int dim, long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        float[] a = new float[rank * dim];
        float[] b = new float[dim * rank];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rng.nextGaussian() / Math.sqrt(dim));
            b[i] = (float) (rng.nextGaussian() * 0.5 / Math.sqrt(rank));
        }
        return new Adapter(rank, dim, a, b);
    }

    @Test
    void theBundledLmHeadFileIsTheMatrixTheDrafterProjectsWith() {
        var info = stack.manifest().drafter();
        LmHead head = LmHead.readFp16(stack.manifest().lmHead(), stack.manifest().target().vocab(), info.dim());
        int[] prompt = stack.tokenizer().encode(GreedyEqualsAutoregressiveTest.PROMPTS.get(0));
        var session = stack.strategy("specblock-static", DrafterConfig.expanding()).newSession();
        var prefill = stack.target().forward(prompt, range(prompt.length),
                dev.specserve.runtime.model.Masks.causal(prompt.length, 0), stack.target().newCache(1));
        session.start(prompt, prefill.hidden(), prefill.argmax(prompt.length - 1));
        var tree = session.propose(new DraftBudget(16, 4));
        int checked = 0;
        for (int n = 0; n < tree.size(); n++) {
            float[] hidden = tree.originHidden(n);
            float[] logits = new float[head.vocab()];
            head.project(hidden, logits);
            var draftable = info.vocabulary(); // the drafter scores only its draft vocabulary's rows of W
            int best = draftable.toTarget(0);
            for (int d = 1; d < draftable.size(); d++) {
                int v = draftable.toTarget(d);
                if (logits[v] > logits[best]) {
                    best = v;
                }
            }
            if (tree.children(tree.parent(n)).get(0) == n) {
                assertThat(best).as("argmax of W h over the draft vocabulary for node %d equals the drafter's top-1", n)
                        .isEqualTo(tree.token(n));
                checked++;
            }
        }
        session.close();
        assertThat(checked).isPositive();
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}
