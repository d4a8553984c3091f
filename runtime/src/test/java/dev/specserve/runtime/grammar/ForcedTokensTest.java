package dev.specserve.runtime.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Drafts for forced text: the tokenizer's split where the target was never seen, the target's own choice after. */
class ForcedTokensTest {
    static final String[] VOCAB = {"{", "\"", "name", "\":", ":", " ", " \"", "a", "b", "\"}", "}", "{\"", "na", "me"};
    static final byte[][] BYTES = new byte[VOCAB.length + 1][];

    static {
        for (int i = 0; i < VOCAB.length; i++) {
            BYTES[i] = VOCAB[i].getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Greedy longest match: the "tokenizer" of this vocabulary. */
    static int[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        int at = 0;
        while (at < text.length()) {
            int best = -1;
            for (int i = 0; i < VOCAB.length; i++) {
                if (text.startsWith(VOCAB[i], at) && (best < 0 || VOCAB[i].length() > VOCAB[best].length())) {
                    best = i;
                }
            }
            ids.add(best);
            at += VOCAB[best].length();
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    final TokenMask masks = new TokenMask(BYTES, new int[] {VOCAB.length}, ForcedTokensTest::encode);
    final OutputGrammar schema = JsonSchemaGrammarTest.schema(
            "{\"type\": \"object\", \"properties\": {\"name\": {\"enum\": [\"a\", \"b\"]}}, \"required\": [\"name\"]}");

    List<String> chain(GrammarState state, int max) {
        List<String> out = new ArrayList<>();
        for (int t : masks.forced(schema, state, max)) {
            out.add(VOCAB[t]);
        }
        return out;
    }

    @Test
    void unseen_forced_text_is_drafted_as_the_tokenizer_splits_it_but_its_last_token() {
        // forced: {"name": "  then a choice; the tokenizer splits {" name ": " " and the last may merge with the choice
        assertThat(chain(schema.start(), 8)).containsExactly("{\"", "name", "\":");
        assertThat(chain(schema.start(), 2)).as("at most max").containsExactly("{\"", "name");
    }

    @Test
    void where_the_target_split_the_text_otherwise_its_own_tokens_are_drafted_the_next_time() {
        GrammarState s = schema.start();
        for (String token : List.of("{", "\"", "na", "me", "\"", ":", " \"")) { // the target's split, one by one
            int id = List.of(VOCAB).indexOf(token);
            masks.committed(schema, s, id);
            s.acceptAll(BYTES[id]);
        }

        assertThat(chain(schema.start(), 10)).containsExactly("{", "\"", "na", "me", "\"", ":", " \"");
        assertThat(chain(s, 4)).as("a choice comes next: nothing is forced").isEmpty();
    }

    @Test
    void the_chain_ends_where_the_forced_text_does() {
        GrammarState s = schema.start();
        s.acceptAll("{\"name\": \"a".getBytes(StandardCharsets.UTF_8));
        assertThat(chain(s, 8)).as("\"} closes the object: the output ends, so the last token is kept")
                .containsExactly("\"}");
        assertThat(chain(new JsonObjectGrammar(), 8)).as("JSON mode forces nothing").isEmpty();
    }
}
