package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.SamplingParams;
import dev.specserve.runtime.spec.TokenRestrictions;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * vLLM's allowed_token_ids and bad_words in greedy decoding: every strategy's output equals a hand-rolled plain
 * decoding loop that masks the raw logits itself, so drafts the restrictions refuse are rejected, never emitted.
 */
class TokenRestrictionsDecodingTest {
    static ModelStack stack;
    static final String PROMPT = PenalisedDecodingTest.PROMPT;
    static final int TOKENS = 24;

    @BeforeAll
    static void open() {
        stack = Stack.load();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    static GenerationResult generate(String strategy, SamplingParams p) {
        int[] ids = stack.tokenizer().encode(PROMPT);
        var drafter = stack.strategy(strategy, DrafterConfig.expanding());
        return stack.decoder().generate(new GenerationRequest(ids, TOKENS, p, List.of(),
                drafter.defaultBudget(new DraftBudget(24, 8))), drafter, RoundListener.NONE, () -> false);
    }

    /** Plain greedy decoding's tokens, minus its most frequent one, plus a few the output never holds. */
    static Set<Integer> allowed() {
        int[] plain = generate("none", SamplingParams.GREEDY).tokens();
        int[] counts = new int[stack.target().info().vocab()];
        Arrays.stream(plain).forEach(t -> counts[t]++);
        int top = 0;
        for (int t : plain) {
            top = counts[t] > counts[top] ? t : top;
        }
        Set<Integer> ids = new TreeSet<>(Arrays.stream(plain).boxed().toList());
        ids.remove(top);
        ids.addAll(List.of(5, 17, 100, 400));
        return ids;
    }

    /** Plain decoding by hand: argmax over the allowed ids, with each bad word's last token masked after its prefix. */
    static int[] handRolled(Set<Integer> allowed, List<int[]> badWords) {
        return HandRolled.decode(stack, stack.tokenizer().encode(PROMPT), TOKENS, (o, row, output) -> {
            int best = -1;
            for (int v = 0; v < o.vocab(); v++) {
                if ((allowed.isEmpty() || allowed.contains(v)) && !banned(v, output, badWords)
                        && (best < 0 || o.logit(row, v) > o.logit(row, best))) {
                    best = v;
                }
            }
            return best;
        }, t -> false);
    }

    static boolean banned(int token, int[] output, List<int[]> badWords) {
        for (int[] w : badWords) {
            int prefix = w.length - 1;
            if (w[prefix] == token && output.length >= prefix
                    && Arrays.equals(w, 0, prefix, output, output.length - prefix, output.length)) {
                return true;
            }
        }
        return false;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"none", "suffix", "specblock-fixed", "specblock", "hybrid", "auto"})
    void allowedTokenIdsKeepGreedyOutputEqualToMaskedPlainDecoding(String strategy) {
        Set<Integer> allowed = allowed();
        int[] reference = handRolled(allowed, List.of());
        assertThat(reference).as("the restriction changes the output").isNotEqualTo(generate("none",
                SamplingParams.GREEDY).tokens());

        GenerationResult r = generate(strategy, SamplingParams.GREEDY.withRestrictions(
                new TokenRestrictions(allowed, List.of())));

        assertThat(r.tokens()).as(strategy).containsExactly(reference);
        assertThat(Arrays.stream(r.tokens()).boxed().toList()).allMatch(allowed::contains);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"none", "suffix", "specblock-fixed", "specblock", "hybrid", "auto"})
    void badWordsKeepGreedyOutputEqualToMaskedPlainDecoding(String strategy) {
        var words = new TokenRestrictions(Set.of(), List.of("2, 2"));
        List<int[]> ids = List.of(words.badWordIds(stack.tokenizer()));
        assertThat(ids).as("'2, 2' and ' 2, 2', each several tokens long").hasSize(2).allMatch(w -> w.length > 1);
        int[] reference = handRolled(Set.of(), ids);
        assertThat(stack.tokenizer().decode(generate("none", SamplingParams.GREEDY).tokens())).contains("2, 2");
        assertThat(stack.tokenizer().decode(reference)).doesNotContain("2, 2");

        GenerationResult r = generate(strategy, SamplingParams.GREEDY.withRestrictions(words));

        assertThat(r.tokens()).as(strategy).containsExactly(reference);
        if (!strategy.equals("none") && !strategy.equals("specblock")) { // specblock's planner may step plainly
            assertThat(r.acceptedDraftTokens()).as("%s accepted draft tokens", strategy).isGreaterThan(0);
        }
    }
}
