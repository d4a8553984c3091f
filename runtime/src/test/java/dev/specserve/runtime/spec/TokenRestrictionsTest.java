package dev.specserve.runtime.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** vLLM's allowed_token_ids and bad_words as a sequence's logits processor applies them, row by row. */
class TokenRestrictionsTest {
    static final double NO = Double.NEGATIVE_INFINITY;
    static final float[] LOGITS = {1, 2, 3, 4, 5, 6};

    static LogitsProcessor processor(TokenRestrictions r, int[]... badWordIds) {
        return new LogitsProcessor(SamplingParams.GREEDY.withRestrictions(r), LOGITS.length, new int[0], new int[0],
                null, badWordIds);
    }

    @Test
    void allowedTokenIdsMaskEveryOtherToken() {
        LogitsProcessor p = processor(new TokenRestrictions(Set.of(1, 3), List.of()));

        assertThat(p.process(LOGITS, 0, new int[0], 0)).containsExactly(NO, 2, NO, 4, NO, NO);
        assertThat(p.processes()).isTrue();
    }

    @Test
    void aOneTokenBadWordIsMaskedInEveryRow() {
        LogitsProcessor p = processor(new TokenRestrictions(Set.of(), List.of("w")), new int[] {4});

        assertThat(p.process(LOGITS, 0, new int[0], 0)).containsExactly(1, 2, 3, 4, NO, 6);
        assertThat(p.process(LOGITS, 0, new int[] {2, 3}, 2)).containsExactly(1, 2, 3, 4, NO, 6);
    }

    @Test
    void aLongerBadWordMasksItsLastTokenOnlyAfterItsOtherTokens() {
        LogitsProcessor p = processor(new TokenRestrictions(Set.of(), List.of("w")), new int[] {1, 2, 5});

        assertThat(p.process(LOGITS, 0, new int[0], 0)[5]).as("nothing generated yet").isEqualTo(6);
        p.add(1);
        assertThat(p.process(LOGITS, 0, new int[0], 0)[5]).as("output ends 1, not 1 2").isEqualTo(6);
        assertThat(p.process(LOGITS, 0, new int[] {2}, 1)[5]).as("output 1, then the path's 2").isEqualTo(NO);
        assertThat(p.process(LOGITS, 0, new int[] {2, 3}, 2)[5]).as("the path moved past the word").isEqualTo(6);
        p.add(2);
        assertThat(p.process(LOGITS, 0, new int[0], 0)[5]).as("output ends 1 2").isEqualTo(NO);
        assertThat(p.process(LOGITS, 0, new int[] {1, 2}, 2)[5]).as("the path alone holds 1 2").isEqualTo(NO);
        assertThat(p.process(LOGITS, 0, new int[] {0}, 1)[5]).isEqualTo(6);
    }

    @Test
    void noRestrictionsProcessNothing() {
        assertThat(TokenRestrictions.NONE.isEmpty()).isTrue();
        assertThat(SamplingParams.GREEDY.withRestrictions(TokenRestrictions.NONE).processesLogits()).isFalse();
    }

    @Test
    void badInputNamesItsField() {
        assertThatThrownBy(() -> new TokenRestrictions(Set.of(-1), List.of())).hasMessageContaining("allowed_token_ids");
        assertThatThrownBy(() -> new TokenRestrictions(Set.of(), List.of(" "))).hasMessageContaining("bad_words");
        assertThatThrownBy(() -> new TokenRestrictions(Set.of(), List.of("x".repeat(300))))
                .hasMessageContaining("bad_words");
        SamplingParams withBadWords = SamplingParams.GREEDY.withRestrictions(new TokenRestrictions(Set.of(),
                List.of("x")));
        assertThatThrownBy(() -> new LogitsProcessor(withBadWords, 6)).as("bad words are never silently dropped")
                .hasMessageContaining("bad_words");
    }
}
