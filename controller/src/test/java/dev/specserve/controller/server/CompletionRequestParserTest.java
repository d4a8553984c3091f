package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one parser both APIs share (the HTTP and event-bus tests cover it end to end). */
class CompletionRequestParserTest {
    final CompletionRequestParser parser = new CompletionRequestParser(List.of("none", "specblock"), 100);

    @Test
    void defaults_follow_the_openai_api() {
        CompletionRequest r = parser.parse("{\"prompt\": \"hi\"}");

        assertThat(r.maxTokens()).isEqualTo(16);
        assertThat(r.sampling().temperature()).isEqualTo(1.0);
        assertThat(r.sampling().topP()).isEqualTo(1.0);
        assertThat(r.stop()).isEmpty();
        assertThat(r.stream()).isFalse();
        assertThat(r.strategy()).isNull();
        assertThat(r.domain()).isNull();
    }

    @Test
    void every_field_is_read() {
        CompletionRequest r = parser.parse(new JsonObject("""
                {"model": "m", "prompt": ["hi"], "max_tokens": 8.0, "temperature": 0.7, "top_p": 0.9,
                 "stop": "\\n", "stream": true, "seed": 42, "strategy": "none", "domain": "code"}"""));

        assertThat(r).isEqualTo(new CompletionRequest("m", "hi", 8, 0.7, 0.9, List.of("\n"), true, 42, "none", "code"));
        assertThat(r.toEngineRequest("id-1", "id").sampling().seed()).isEqualTo(42);
    }

    @Test
    void an_event_bus_body_may_be_a_json_object_or_a_string_holding_one_but_nothing_else() {
        assertThat(parser.parseValue("{\"prompt\": \"a\"}").prompt()).isEqualTo("a");
        assertThatThrownBy(() -> parser.parseValue(42))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("body"));
        assertThatThrownBy(() -> parser.parseValue(null))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("body"));
    }

    @Test
    void a_domain_tag_is_short_and_plain_since_every_rounds_feedback_event_carries_it() {
        assertThat(parser.parse("{\"prompt\": \"x\", \"domain\": \"customer-42/py_3.12:b\"}").domain())
                .isEqualTo("customer-42/py_3.12:b");
        assertThat(parser.parse("{\"prompt\": \"x\", \"domain\": \"" + "d".repeat(64) + "\"}").domain()).hasSize(64);
        for (String bad : List.of("", "   ", "two words", "d".repeat(65), "tab\t", "ünï")) {
            assertThatThrownBy(() -> parser.parse(new JsonObject().put("prompt", "x").put("domain", bad)))
                    .as("domain '%s'", bad).isInstanceOfSatisfying(InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("domain"))
                    .hasMessageContaining("domain must be 1 to 64 letters");
        }
        assertThatThrownBy(() -> parser.parse(new JsonObject().put("prompt", "x").put("domain", "z".repeat(100_000))))
                .hasMessageContaining("100000 characters starting 'zzz").hasMessageNotContaining("z".repeat(41));
    }

    @Test
    void the_max_tokens_default_never_exceeds_a_small_limit() {
        assertThat(new CompletionRequestParser(List.of("none"), 4).parse("{\"prompt\": \"x\"}").maxTokens()).isEqualTo(4);
    }
}
