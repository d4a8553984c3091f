package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.manifest.DraftVocabulary;
import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled drafter proposes only from its reduced draft vocabulary, while the output, verified by the
 * target over the whole vocabulary, still holds tokens the drafter can never propose (it stays lossless).
 */
class DraftVocabularyDecodingTest {
    static ModelStack stack;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    @Test
    void theBundledDrafterHasAReducedVocabulary() {
        DraftVocabulary v = stack.manifest().drafter().vocabulary();
        assertThat(v.size()).isLessThan(stack.manifest().target().vocab());
        assertThat(v.targetVocab()).isEqualTo(stack.manifest().target().vocab());
    }

    @Test
    void specblockDraftsOnlyDraftVocabularyTokensYetEmitsOthersExactlyAsPlainDecoding() {
        DraftVocabulary v = stack.manifest().drafter().vocabulary();
        Set<Integer> drafted = new HashSet<>();
        List<Integer> emitted = new ArrayList<>();
        boolean outsideEmitted = false;
        for (String prompt : GreedyEqualsAutoregressiveTest.PROMPTS) {
            int[] ids = stack.tokenizer().encode(prompt);
            RoundListener collect = (round, out) -> {
                DraftTree tree = round.tree();
                for (int n = 0; n < tree.size(); n++) {
                    drafted.add(tree.token(n));
                }
            };
            GenerationResult spec = stack.decoder().generate(
                    GenerationRequest.greedy(ids, 48, GreedyEqualsAutoregressiveTest.BUDGET),
                    stack.strategy("specblock", DrafterConfig.expanding()), collect, () -> false);
            GenerationResult plain = stack.decoder().generate(
                    GenerationRequest.greedy(ids, 48, GreedyEqualsAutoregressiveTest.BUDGET),
                    stack.strategy("none", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
            assertThat(spec.tokens()).as("greedy specblock output for %s", prompt).containsExactly(plain.tokens());
            for (int t : spec.tokens()) {
                emitted.add(t);
                outsideEmitted |= v.toDraft(t) < 0;
            }
        }
        assertThat(drafted).isNotEmpty();
        assertThat(drafted).allSatisfy(t -> assertThat(v.toDraft(t)).as("drafted token %d", t).isNotNegative());
        assertThat(outsideEmitted).as("some emitted token lies outside the draft vocabulary (%d tokens emitted)",
                emitted.size()).isTrue();
    }
}
