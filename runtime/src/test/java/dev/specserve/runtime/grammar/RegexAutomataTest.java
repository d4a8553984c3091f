package dev.specserve.runtime.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** guided_regex and schema patterns: a regex matches in full exactly the texts java.util.regex matches in full. */
class RegexAutomataTest {
    /** Through the path requests take: a compiled regex grammar, fed the text's bytes. */
    static boolean matches(String regex, String text) {
        OutputGrammar g = OutputGrammar.regex(regex, "guided_regex");
        g.compile();
        return JsonSchemaGrammarTest.whole(g, text);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource(delimiter = '~', value = {
            "^(def|class) [a-z_]{1,12}\\($  ~ def add_(",
            "^(def|class) [a-z_]{1,12}\\($  ~ class X(",
            "^(def|class) [a-z_]{1,12}\\($  ~ def (",
            "\\d{3}-\\d{4}                  ~ 555-1234",
            "\\d{3}-\\d{4}                  ~ 5551234",
            "[^\\s,]+(, [^\\s,]+)*          ~ é, b2, 漢字",
            "[^\\s,]+(, [^\\s,]+)*          ~ a,b",
            "(?:ab)+?c?                     ~ ababc",
            "(?P<word>\\w+)\\.\\W           ~ a_1.!",
            "colou?r|grey{2,}               ~ greyy",
            "colou?r|grey{2,}               ~ grey",
            "[\\x41-\\x43]x\\u00e9.         ~ Bxé漢",
            "[a\\-z]                        ~ -",
            "[\\u0041-\\u0043]+              ~ CAB",
            "[\\u0041-\\u0043]+              ~ A-C",
            "a{2}b{0,1}                     ~ aab",
            "a.c                            ~ a\nc"})
    void a_regex_matches_in_full_what_java_matches_in_full(String regex, String text) {
        String unescaped = text.replace("\\n", "\n");
        assertThat(matches(regex.strip(), unescaped)).as("%s on %s", regex, text)
                .isEqualTo(java.util.regex.Pattern.compile(regex.strip().replace("(?P<", "(?<"))
                        .matcher(unescaped).matches());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "(a)\\1     | backreference",
            "a(?=b)     | lookaround",
            "(?i)abc    | flags",
            "a*+        | possessive",
            "a^b        | '^' inside",
            "[é-ü]      | beyond ASCII",
            "[\\u4e00-\\u9fff]+ | beyond ASCII",
            "a{2000}    | at most 1024",
            "(ab        | missing ')'",
            "ab)        | unbalanced",
            "*a         | nothing to repeat",
            "[abc       | unterminated class"})
    void what_is_not_served_is_refused_naming_it(String regex, String message) {
        assertThatThrownBy(() -> RegexAutomata.compile(regex.strip())).isInstanceOf(GrammarException.class)
                .hasMessageContaining(message.strip());
    }

    /** Nesting is bounded before the parser recurses out of stack (2,000 groups were a StackOverflowError, a 500). */
    @org.junit.jupiter.api.Test
    void groups_nested_beyond_the_limit_are_refused_and_within_it_compile() {
        String deep = "(".repeat(2_000) + "a" + ")".repeat(2_000);
        String within = "(".repeat(RegexAutomata.MAX_DEPTH) + "a" + ")".repeat(RegexAutomata.MAX_DEPTH) + "((b))";

        assertThatThrownBy(() -> RegexAutomata.compile(deep)).isInstanceOf(GrammarException.class)
                .hasMessageContaining("nested deeper than " + RegexAutomata.MAX_DEPTH);
        assertThat(RegexAutomata.compile(within)).isNotNull();
    }

    /**
     * Nested counted repeats multiply: the size is charged before each piece is built, so a 97-byte regex that would
     * build 10^9 states is refused at once (it filled the heap first, wedging the server in back-to-back full GCs).
     */
    @org.junit.jupiter.api.Test
    void a_regex_that_would_build_too_many_states_is_refused_before_it_is_built() {
        for (String huge : new String[] {"(?:(?:d{1024}){1024}){1024}", "(?:c{1024}){1024}", "(?:a{1024}){128}",
                "(?:x{1000}){50}(?:y{1000}){60}", "(?:x{1000}){60}|(?:y{1000}){60}", "(?:x{1024})" + "+?".repeat(20),
                String.join("|", java.util.Collections.nCopies(2_000, "(?:.{1024}){4}")),
                "(?:.{1024}){4}".repeat(2_000)}) {
            assertThatThrownBy(() -> RegexAutomata.compile(huge)).as(huge).isInstanceOf(GrammarException.class)
                    .hasMessageContaining("is too large").hasMessageContaining("at most " + RegexAutomata.MAX_STATES);
        }
        assertThat(RegexAutomata.compile("(?:b{1024}){16}").run(("b".repeat(1024 * 16)))).isTrue();
    }
}
