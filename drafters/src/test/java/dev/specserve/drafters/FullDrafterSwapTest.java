package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A new drafter ONNX file is loaded beside the serving one, switched to between rounds, and the old one closed when unused. */
class FullDrafterSwapTest {
    static final DraftBudget BUDGET = new DraftBudget(24, 8);

    @TempDir
    Path dir;

    ModelStack stack;
    Path replacement;

    @BeforeEach
    void open() throws Exception {
        stack = Stack.load();
        replacement = dir.resolve("drafter-v2.onnx");
        Files.copy(stack.manifest().drafter().file(), replacement);
    }

    @AfterEach
    void close() {
        stack.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"eagle", "specblock"})
    void aSwapInTheMiddleOfAGenerationKeepsGreedyOutputIdenticalAndClosesTheOldSession(String strategy) {
        DrafterVersion bundled = stack.versions().current();
        int[] ids = stack.tokenizer().encode(GreedyEqualsAutoregressiveTest.PROMPTS.get(2));
        GenerationResult reference = stack.decoder().generate(GenerationRequest.greedy(ids, 40, BUDGET),
                stack.strategy("none", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
        List<Long> versionsSeen = new ArrayList<>();
        DrafterVersion[] loaded = new DrafterVersion[1];

        GenerationResult swapped = stack.decoder().generate(GenerationRequest.greedy(ids, 40, BUDGET),
                stack.strategy(strategy, DrafterConfig.expanding()), (round, emitted) -> {
                    versionsSeen.add(round.drafterVersion());
                    if (round.index() == 1) {
                        loaded[0] = stack.loadDrafter(replacement, null);
                        stack.versions().activate(loaded[0]);
                        assertThat(bundled.model().isOpen()).as("the sequence still drafts with the old session").isTrue();
                    }
                }, () -> false);

        assertThat(swapped.tokens()).containsExactly(reference.tokens());
        assertThat(versionsSeen).contains(bundled.id(), loaded[0].id());
        // a round the goodput planner serves as a plain step drafts with no model and reports version 0
        assertThat(versionsSeen.subList(versionsSeen.indexOf(loaded[0].id()), versionsSeen.size()).stream()
                .filter(v -> v != 0).toList())
                .as("once switched, every later drafted round uses the new version").containsOnly(loaded[0].id());
        assertThat(bundled.model().isOpen()).as("old session closed once no sequence uses it").isFalse();
        assertThat(loaded[0].parentId()).isEqualTo(bundled.id());
        assertThat(loaded[0].model().generation()).isGreaterThan(bundled.model().generation());
    }

    @Test
    void theOldSessionStaysOpenWhileASequenceStartedOnItHasNotDraftedAgain() {
        DrafterVersion bundled = stack.versions().current();
        int[] prompt = stack.tokenizer().encode(GreedyEqualsAutoregressiveTest.PROMPTS.get(0));
        DraftSession inFlight = stack.strategy("specblock", DrafterConfig.defaults()).newSession();
        var prefill = stack.target().forward(prompt, range(prompt.length),
                dev.specserve.runtime.model.Masks.causal(prompt.length, 0), stack.target().newCache(1));
        inFlight.start(prompt, prefill.hidden(), prefill.argmax(prompt.length - 1));
        inFlight.propose(BUDGET);

        DrafterVersion v2 = stack.loadDrafter(replacement, ManifestLoader.sha256(replacement));
        stack.versions().activate(v2);
        assertThat(bundled.model().isOpen()).isTrue();

        var tree = inFlight.propose(BUDGET);
        assertThat(inFlight.lastStats().drafterVersion()).isEqualTo(v2.id());
        assertThat(tree.size()).as("the re-fed context drafts as before").isGreaterThan(0);
        assertThat(bundled.model().isOpen()).isFalse();
        inFlight.close();
        assertThat(v2.model().leases()).as("only the current version holds the new session").isEqualTo(1);
    }

    @Test
    void rollingBackToAClosedSessionReopensItAndOutputStaysIdentical() {
        DrafterVersion bundled = stack.versions().current();
        stack.versions().activate(stack.loadDrafter(replacement, null));
        assertThat(bundled.model().isOpen()).isFalse();

        assertThat(stack.versions().rollback()).contains(bundled);

        assertThat(bundled.model().isOpen()).isTrue();
        assertThat(bundled.model().opens()).isEqualTo(2);
        int[] ids = stack.tokenizer().encode(GreedyEqualsAutoregressiveTest.PROMPTS.get(1));
        GenerationResult reference = stack.decoder().generate(GenerationRequest.greedy(ids, 24, BUDGET),
                stack.strategy("none", DrafterConfig.defaults()), RoundListener.NONE, () -> false);
        GenerationResult drafted = stack.decoder().generate(GenerationRequest.greedy(ids, 24, BUDGET),
                stack.strategy("specblock", DrafterConfig.defaults()), RoundListener.NONE, () -> false);
        assertThat(drafted.tokens()).containsExactly(reference.tokens());
    }

    @Test
    void aMissingCorruptMismatchedOrIncompatibleFileIsRefusedWithTheReasonAndNothingChanges() throws Exception {
        DrafterVersion before = stack.versions().current();
        int versionsBefore = stack.versions().list().size();
        Path truncated = dir.resolve("truncated.onnx");
        byte[] bytes = Files.readAllBytes(replacement);
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 3));

        assertThatThrownBy(() -> stack.loadDrafter(dir.resolve("absent.onnx"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> stack.loadDrafter(truncated, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be opened as an ONNX model");
        assertThatThrownBy(() -> stack.loadDrafter(replacement, "0".repeat(64)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sha256 mismatch");
        assertThatThrownBy(() -> stack.loadDrafter(stack.manifest().target().file(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit the serving drafter");

        assertThat(stack.versions().current()).isSameAs(before);
        assertThat(stack.versions().list()).hasSize(versionsBefore);
        assertThat(before.model().isOpen()).isTrue();
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}
