package dev.specserve.controller.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What {@code load --extra-body} may add to every request, and what it may not. */
class ExtraBodyTest {
    @Test
    void fields_load_sets_itself_are_refused_by_name() {
        assertThatThrownBy(() -> ExtraBody.parse("{\"max_tokens\": 5}")).hasMessageContaining("'max_tokens'");
        assertThatThrownBy(() -> ExtraBody.parse("[1]")).hasMessageContaining("must be a JSON object");
    }

    /** Two choices interleave their chunks: the gaps between them read as inter-token gaps (ITL p50 fell by a quarter). */
    @Test
    void several_choices_or_an_echo_are_refused_one_choice_without_echo_is_taken() {
        assertThatThrownBy(() -> ExtraBody.parse("{\"n\": 2}")).hasMessageContaining("'n'");
        assertThatThrownBy(() -> ExtraBody.parse("{\"best_of\": 3}")).hasMessageContaining("'best_of'");
        assertThatThrownBy(() -> ExtraBody.parse("{\"echo\": true}")).hasMessageContaining("'echo'");

        assertThat(ExtraBody.parse("{\"n\": 1, \"echo\": false, \"top_k\": 5}")).containsEntry("top_k", 5);
    }
}
