package dev.specserve.runtime.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;

/** Compiled grammars are cached by the bytes they hold, and nothing else keeps one alive once the cache drops it. */
class GrammarsTest {
    static final TokenMask MASKS = new TokenMask(ForcedTokensTest.BYTES, new int[] {ForcedTokensTest.VOCAB.length},
            ForcedTokensTest::encode);

    /** A literal of {@code n} characters cycling through 62: about n states of 63 byte classes. */
    static String literal(int n, long salt) {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder b = new StringBuilder("s" + salt);
        for (int i = 0; i < n; i++) {
            b.append(alphabet.charAt(i % alphabet.length()));
        }
        return b.toString();
    }

    @Test
    void a_compiled_grammar_weighs_its_tables_in_the_cache() {
        Grammars.clear();
        OutputGrammar g = OutputGrammar.regex(literal(3_000, 1), "guided_regex");
        long before = Grammars.cachedBytes();

        g.compile(); // 3,000 states x ~63 classes x 4 bytes

        assertThat(before).as("uncompiled: a floor").isLessThan(100_000);
        assertThat(Grammars.cachedBytes()).isGreaterThan(700_000);
    }

    @Test
    void the_models_mask_caches_never_keep_a_grammar_the_grammar_cache_dropped() throws Exception {
        Grammars.clear();
        OutputGrammar g = OutputGrammar.jsonSchema("{\"type\": \"object\", \"properties\": {\"name\": {\"enum\": "
                + "[\"a\", \"b\"]}}, \"required\": [\"name\"]}", "response_format");
        GrammarState s = g.start();
        MASKS.allowed(g, s);
        MASKS.forced(g, s, 4);
        WeakReference<OutputGrammar> dropped = new WeakReference<>(g);
        g = null;
        s = null;

        Grammars.clear(); // as an eviction would
        for (int i = 0; i < 50 && dropped.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }

        assertThat(dropped.get()).as("collected, its masks cached or not").isNull();
    }

    @Test
    void a_constraint_too_large_to_compile_is_refused_again_without_compiling_again() {
        String regex = "(?:x{1024}){400}"; // over the state budget
        GrammarException first = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> OutputGrammar.regex(regex, "guided_regex").compile(), GrammarException.class);

        GrammarException again = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> OutputGrammar.regex(regex, "guided_regex").compile(), GrammarException.class);

        assertThat(first).isNotNull();
        assertThat(again).as("the refusal found once, not a second compile").isSameAs(first);
    }
}
