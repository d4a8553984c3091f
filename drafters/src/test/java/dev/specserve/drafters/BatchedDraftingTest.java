package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.Drafter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Drafting a round's sequences together: every drafting step of all of them is one batched drafter call (rows
 * and pasts padded), and each gets the tree it would have got alone.
 */
class BatchedDraftingTest {
    static ModelStack stack;
    static final List<String> PROMPTS = List.of(
            "def fibonacci(n):\n    if n < 2:\n        return n\n    return ",
            "import os\nimport sys\n\n\ndef main(argv=None):\n    parser = argparse.ArgumentParser()\n    parser.",
            "public static int compare(long x, long y) {\n        return ",
            "class Queue:\n    \"\"\"A FIFO queue.\"\"\"\n\n    def __init__(self, maxsize=0):\n        self.maxsize = maxsize\n"
                    + "        self.queue = []\n\n    def put(self, item):\n        self.");
    static final DraftBudget BUDGET = new DraftBudget(24, 8);

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    /** A prompt prefilled on the target: its tokens, hidden rows and greedy next token. */
    record Prefilled(int[] ids, float[] hidden, int next) {}

    static Prefilled prefill(String prompt) {
        TargetModel target = stack.target();
        int[] ids = stack.tokenizer().encode(prompt);
        int[] pos = new int[ids.length];
        Arrays.setAll(pos, i -> i);
        TargetOutput out = target.forward(ids, pos, Masks.causal(ids.length, 0), target.newCache(ids.length));
        int[] rows = new int[ids.length];
        Arrays.setAll(rows, i -> i);
        return new Prefilled(ids, out.hiddenRows(rows), out.argmax(ids.length - 1));
    }

    /** Sessions started on every prompt but the last two tokens, then told those two were committed. */
    static List<DraftSession> sessions(Drafter drafter, List<Prefilled> prompts) {
        int dim = stack.target().info().dim();
        List<DraftSession> out = new ArrayList<>();
        for (Prefilled p : prompts) {
            int n = p.ids().length;
            DraftSession s = drafter.newSession();
            s.start(Arrays.copyOf(p.ids(), n - 2), Arrays.copyOf(p.hidden(), (n - 2) * dim), p.ids()[n - 2]);
            s.commit(new int[] {p.ids()[n - 1], p.next()}, Arrays.copyOfRange(p.hidden(), (n - 3) * dim, (n - 1) * dim));
            out.add(s);
        }
        return out;
    }

    /** Each session drafts once (feeding its whole prompt) and is told its greedy next token was committed. */
    static void catchUp(List<DraftSession> sessions, List<Prefilled> prompts, int... which) {
        for (int i : which) {
            sessions.get(i).propose(BUDGET);
            sessions.get(i).commit(new int[] {prompts.get(i).next()}, Arrays.copyOf(prompts.get(i).hidden(),
                    stack.target().info().dim()));
        }
    }

    /**
     * How far a node's log-probability may move with its batch: float rounding with fp32 weights; with the int8
     * drafter (the CPU's default) ORT's int8 kernels for one row and for several round differently (each row's
     * activations are still quantized on their own, so the drafted tokens stay the same).
     */
    static float scoreTolerance() {
        return stack.drafterModel().info().file().equals(stack.manifest().drafter().int8File()) ? 0.02f : 1e-3f;
    }

    static void assertSameTree(DraftTree batched, DraftTree alone, int prompt) {
        assertThat(batched.size()).as("prompt %d: nodes", prompt).isEqualTo(alone.size());
        for (int n = 0; n < alone.size(); n++) {
            assertThat(batched.token(n)).as("prompt %d node %d token", prompt, n).isEqualTo(alone.token(n));
            assertThat(batched.parent(n)).as("prompt %d node %d parent", prompt, n).isEqualTo(alone.parent(n));
            assertThat(batched.score(n)).as("prompt %d node %d score", prompt, n)
                    .isCloseTo(alone.score(n), org.assertj.core.data.Offset.offset(scoreTolerance()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"specblock-fixed", "specblock", "specblock-static", "hybrid"})
    void sequencesDraftedTogetherGetTheTreesTheyGetAloneInOneDrafterCallPerStep(String strategy) {
        Drafter drafter = stack.strategy(strategy, DrafterConfig.expanding());
        List<Prefilled> prompts = PROMPTS.stream().map(BatchedDraftingTest::prefill).toList();
        List<DraftSession> together = sessions(drafter, prompts);
        List<DraftSession> alone = sessions(drafter, prompts);
        catchUp(together, prompts, 0, 1, 2, 3);
        catchUp(alone, prompts, 0, 1, 2, 3);
        List<DraftBudget> budgets = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            budgets.add(i == 1 ? BUDGET.withMaxDepth(2) : BUDGET); // one sequence stops drafting early
        }
        for (int round = 0; round < 2; round++) {
            long before = stack.drafterModel().calls();
            DraftTree[] batched = drafter.proposeAll(together, budgets);
            long batchedCalls = stack.drafterModel().calls() - before;

            before = stack.drafterModel().calls();
            int mostSteps = 0;
            for (int i = 0; i < prompts.size(); i++) {
                assertSameTree(batched[i], alone.get(i).propose(budgets.get(i)), i);
                assertThat(together.get(i).lastStats().forwards()).isEqualTo(alone.get(i).lastStats().forwards());
                mostSteps = Math.max(mostSteps, alone.get(i).lastStats().forwards());
            }
            long aloneCalls = stack.drafterModel().calls() - before;
            assertThat(batchedCalls).as("round %d: one call per drafting step", round).isEqualTo(mostSteps);
            assertThat(aloneCalls).as("round %d: one call per sequence and step", round).isGreaterThan(batchedCalls);

            for (int i = 0; i < prompts.size(); i++) { // both commit the first drafted token and its hidden state
                DraftTree t = batched[i];
                int token = t.size() > 0 ? t.token(0) : 0;
                float[] hidden = Arrays.copyOfRange(prompts.get(i).hidden(), 0, stack.target().info().dim());
                together.get(i).commit(new int[] {token}, hidden);
                alone.get(i).commit(new int[] {token}, hidden);
            }
        }
        together.forEach(DraftSession::close);
        alone.forEach(DraftSession::close);
    }

    @Test
    void aSequenceCatchingUpOnItsWholePromptDraftsInItsOwnCallNotPaddingTheOthersToItsLength() {
        Drafter drafter = stack.strategy("specblock-fixed", DrafterConfig.defaults());
        List<Prefilled> prompts = List.of(prefill(PROMPTS.get(0)), prefill(PROMPTS.get(2)), prefill(String.join("", PROMPTS)));
        List<DraftSession> together = sessions(drafter, prompts);
        List<DraftSession> alone = sessions(drafter, prompts);
        catchUp(together, prompts, 0, 1); // the first two have fed their prompts; the long one has not
        catchUp(alone, prompts, 0, 1);
        long before = stack.drafterModel().calls();
        DraftTree[] batched = drafter.proposeAll(together, List.of(BUDGET, BUDGET, BUDGET));

        assertThat(stack.drafterModel().calls() - before).as("the two caught-up sequences together, the long one alone")
                .isEqualTo(2);
        for (int i = 0; i < 3; i++) {
            assertSameTree(batched[i], alone.get(i).propose(BUDGET), i);
        }
        together.forEach(DraftSession::close);
        alone.forEach(DraftSession::close);
    }

    /**
     * A closed session hands its drafter cache to the next one (fresh direct memory costs ms per MiB). Sessions
     * open at once never share one, and what an old sequence left in a cache never reaches a new one's drafts:
     * two rounds of every prompt's session, all open together, draft what sessions on new caches draft.
     */
    @ParameterizedTest
    @ValueSource(strings = {"specblock", "eagle"})
    void sessionsOnRecycledCachesDraftWhatSessionsOnNewCachesDraft(String strategy) {
        List<Prefilled> prompts = PROMPTS.stream().map(BatchedDraftingTest::prefill).toList();
        List<DraftTree> fresh;
        try (ModelStack other = Stack.load()) { // its drafter has handed out no cache yet
            fresh = twoRounds(other.strategy(strategy, DrafterConfig.defaults()), prompts);
        }
        Drafter drafter = stack.strategy(strategy, DrafterConfig.defaults());
        twoRounds(drafter, prompts); // leaves every cache it used, rows and all, for the next sessions
        List<Prefilled> reversed = new ArrayList<>(prompts);
        java.util.Collections.reverse(reversed); // so each prompt's session takes another prompt's old cache
        List<DraftTree> recycled = twoRounds(drafter, reversed);
        java.util.Collections.reverse(recycled.subList(0, prompts.size()));
        java.util.Collections.reverse(recycled.subList(prompts.size(), recycled.size()));
        for (int i = 0; i < fresh.size(); i++) {
            assertSameTree(recycled.get(i), fresh.get(i), i % prompts.size());
        }
    }

    /** Every prompt's session open at once: a round drafted, the greedy next token committed, another round. */
    private static List<DraftTree> twoRounds(Drafter drafter, List<Prefilled> prompts) {
        List<DraftSession> open = sessions(drafter, prompts);
        List<DraftTree> trees = new ArrayList<>();
        int dim = stack.target().info().dim();
        for (DraftSession s : open) {
            trees.add(s.propose(BUDGET));
        }
        for (int i = 0; i < open.size(); i++) {
            open.get(i).commit(new int[] {prompts.get(i).next()}, Arrays.copyOf(prompts.get(i).hidden(), dim));
        }
        for (DraftSession s : open) {
            trees.add(s.propose(BUDGET));
        }
        open.forEach(DraftSession::close);
        return trees;
    }
}
