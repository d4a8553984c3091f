package dev.specserve.runtime.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** JSON mode's recogniser: every prefix of a JSON object passes, the first byte no object allows is refused. */
class JsonObjectGrammarTest {
    static JsonObjectGrammar fed(String text) {
        JsonObjectGrammar g = new JsonObjectGrammar();
        assertThat(g.acceptAll(text.getBytes(StandardCharsets.UTF_8))).as("accepts %s", text).isTrue();
        return g;
    }

    /** The length of the longest prefix of {@code text} the grammar accepts. */
    static int acceptedPrefix(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        JsonObjectGrammar g = new JsonObjectGrammar();
        for (int i = 0; i < b.length; i++) {
            if (!g.accept(b[i])) {
                return i;
            }
        }
        return b.length;
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"a\": 1}", " {\"a\": [1, -2.5e+3, 0, 0.0, 1E9, true, false, null]} ",
            "{\"s\": \"tab\\t \\\"q\\\" \\\\ \\/ \\u00e9 é 漢字\", \"o\": {\"p\": {}}, \"e\": []}",
            "{\n  \"k\": {\n    \"x\": [\n      {}\n    ]\n  }\n}\n"})
    void a_json_object_is_accepted_to_its_end_and_complete_only_there(String doc) {
        byte[] b = doc.getBytes(StandardCharsets.UTF_8);
        JsonObjectGrammar g = new JsonObjectGrammar();
        for (int i = 0; i < b.length; i++) {
            assertThat(g.accept(b[i])).as("byte %d of %s", i, doc).isTrue();
        }
        assertThat(g.complete()).isTrue();
        assertThat(fed(doc.strip().substring(0, doc.strip().length() - 1)).complete()).as("one byte short").isFalse();
    }

    @Test
    void the_first_byte_no_object_allows_is_refused() {
        assertThat(acceptedPrefix("[1, 2]")).as("the top level is an object").isZero();
        assertThat(acceptedPrefix("\"a\"")).isZero();
        assertThat(acceptedPrefix("{\"a\" 1}")).as("a colon after a key").isEqualTo(5);
        assertThat(acceptedPrefix("{\"a\": 01}")).as("no leading zeros").isEqualTo(7);
        assertThat(acceptedPrefix("{\"a\": 1.}")).as("a fraction needs digits").isEqualTo(8);
        assertThat(acceptedPrefix("{\"a\": -}")).isEqualTo(7);
        assertThat(acceptedPrefix("{\"a\": tru}")).isEqualTo(9);
        assertThat(acceptedPrefix("{\"a\": 1,}")).as("no trailing comma").isEqualTo(8);
        assertThat(acceptedPrefix("{\"a\": [1,]}")).isEqualTo(9);
        assertThat(acceptedPrefix("{\"a\": 1]")).as("brackets match").isEqualTo(7);
        assertThat(acceptedPrefix("{1: 2}")).as("keys are strings").isEqualTo(1);
        assertThat(acceptedPrefix("{\"a\": \"x\ny\"}")).as("no raw control characters in strings").isEqualTo(8);
        assertThat(acceptedPrefix("{\"a\": \"\\x\"}")).as("only JSON escapes").isEqualTo(8);
        assertThat(acceptedPrefix("{\"a\": \"\\u12g4\"}")).isEqualTo(11);
        assertThat(acceptedPrefix("{} x")).as("nothing after the object but whitespace").isEqualTo(3);
    }

    @Test
    void whitespace_runs_and_nesting_are_bounded_so_a_model_cannot_pad_or_nest_forever() {
        String pad = " ".repeat(JsonObjectGrammar.MAX_WHITESPACE);
        assertThat(acceptedPrefix(pad + " {")).isEqualTo(JsonObjectGrammar.MAX_WHITESPACE);
        assertThat(fed("{" + pad + "\"a\":" + pad + "1" + pad + "}").complete()).as("each run counts alone").isTrue();
        assertThat(fed("{\"s\": \"" + pad + pad + "\"}").complete()).as("inside strings anything goes").isTrue();
        String deep = "{\"a\":" + "[".repeat(JsonObjectGrammar.MAX_DEPTH - 1);
        assertThat(acceptedPrefix(deep + "[")).isEqualTo(deep.length());
    }

    @Test
    void a_copy_is_independent_and_equal_states_share_a_key() {
        JsonObjectGrammar a = fed("{\"key\": \"some text");
        JsonObjectGrammar copy = a.copy();
        assertThat(copy.acceptAll("\"}".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(copy.complete()).isTrue();
        assertThat(a.complete()).isFalse();
        assertThat(fed("{\"key\": \"other").key()).as("a string's content does not matter").isEqualTo(a.key());
        assertThat(fed("{\"k\": [\"other").key()).as("the containers do").isNotEqualTo(a.key());
    }
}
