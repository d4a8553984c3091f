package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The tool-call syntaxes {@link ToolCallParser} reads from a model's text: Hermes', Llama 3's JSON and Mistral's. */
class ToolCallParserTest {
    static final ToolCallParser HERMES = ToolCallParser.forSetting("hermes", Optional.empty()).orElseThrow();
    static final ToolCallParser LLAMA = ToolCallParser.forSetting("llama3_json", Optional.empty()).orElseThrow();
    static final ToolCallParser MISTRAL = ToolCallParser.forSetting("mistral", Optional.empty()).orElseThrow();
    static final Set<String> TOOLS = Set.of("get_weather", "now");

    @Test
    void calls_after_text_are_parsed_and_the_text_before_them_is_the_content() {
        ToolCallParser.Parsed p = HERMES.parse("Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
                + "{\"city\": \"Oslo\"}}\n</tool_call>\n<tool_call>{\"name\": \"now\", \"arguments\": {}}</tool_call>",
                TOOLS);

        assertThat(p.content()).isEqualTo("Let me check.\n");
        assertThat(p.calls()).containsExactly(new ToolCallParser.Call("get_weather", "{\"city\":\"Oslo\"}"),
                new ToolCallParser.Call("now", "{}"));
    }

    @Test
    void a_last_call_without_its_closing_tag_and_arguments_written_as_a_string_are_calls() {
        ToolCallParser.Parsed p = HERMES.parse("<tool_call>{\"name\": \"now\", \"arguments\": \"{\\\"tz\\\": 1}\"}",
                TOOLS);

        assertThat(p.content()).as("blank content is none").isNull();
        assertThat(p.calls()).containsExactly(new ToolCallParser.Call("now", "{\"tz\":1}"));
    }

    @Test
    void text_that_is_not_whole_calls_to_listed_functions_is_not_parsed() {
        assertThat(HERMES.parse("plain text", TOOLS)).isNull();
        assertThat(HERMES.parse("<tool_call>{\"name\": \"now\", \"arguments\": {", TOOLS)).as("cut short").isNull();
        assertThat(HERMES.parse("<tool_call>{\"name\": \"rm\", \"arguments\": {}}</tool_call>", TOOLS))
                .as("not in tools").isNull();
        assertThat(HERMES.parse("<tool_call>{\"name\": \"now\", \"arguments\": [1]}</tool_call>", TOOLS))
                .as("arguments not an object").isNull();
        assertThat(HERMES.parse("<tool_call>{\"name\": \"now\"}</tool_call><tool_call>[]</tool_call>", TOOLS))
                .as("one bad block spoils all").isNull();
    }

    @Test
    void streamed_text_is_held_back_only_where_a_call_starts_or_may_be_starting() {
        StringBuilder text = new StringBuilder("Sure <tool");
        assertThat(HERMES.contentEnd(text, 0)).as("a tail that may begin a tag waits").isEqualTo(5);
        text.append("s are useful");
        assertThat(HERMES.contentEnd(text, 5)).as("it did not").isEqualTo(text.length());
        text.append(" <tool_");
        int held = text.length() - "<tool_".length();
        assertThat(HERMES.contentEnd(text, held)).isEqualTo(held);
        text.append("call>{\"name\"");
        assertThat(HERMES.contentEnd(text, held)).as("a call began: nothing more goes out as content")
                .isEqualTo(held);
    }

    @Test
    void llama_3_answers_that_are_json_calls_separated_by_semicolons_are_calls() {
        ToolCallParser.Parsed p = LLAMA.parse("<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": "
                + "\"a}b\\\"\"}}; {\"name\": \"now\", \"parameters\": {}}", TOOLS);

        assertThat(p.content()).isNull();
        assertThat(p.calls()).containsExactly(new ToolCallParser.Call("get_weather", "{\"city\":\"a}b\\\"\"}"),
                new ToolCallParser.Call("now", "{}"));
        assertThat(LLAMA.parse(" {\"name\": \"now\", \"arguments\": {}}\n", TOOLS).calls()).hasSize(1);
        assertThat(LLAMA.parse("The answer is {\"name\": \"now\", \"parameters\": {}}", TOOLS)).as("text first")
                .isNull();
        assertThat(LLAMA.parse("{\"name\": \"now\", \"parameters\": {}} and more", TOOLS)).as("text after").isNull();
        assertThat(LLAMA.parse("{\"name\": \"now\", \"parameters\": {", TOOLS)).as("cut short").isNull();
    }

    @Test
    void a_llama_3_stream_is_held_while_it_starts_as_a_call_would_and_sent_whole_otherwise() {
        assertThat(LLAMA.contentEnd(new StringBuilder("  "), 0)).isZero();
        assertThat(LLAMA.contentEnd(new StringBuilder(" {\"na"), 0)).isZero();
        assertThat(LLAMA.contentEnd(new StringBuilder("<|python"), 0)).isZero();
        assertThat(LLAMA.contentEnd(new StringBuilder("<div>"), 0)).isEqualTo(5);
        assertThat(LLAMA.contentEnd(new StringBuilder("Hello {"), 0)).isEqualTo(7);
        assertThat(LLAMA.contentEnd(new StringBuilder("Hello {\"name\""), 7)).isEqualTo(13);
    }

    @Test
    void auto_reads_the_syntax_from_the_chat_template_and_unknown_settings_are_refused() {
        assertThat(ToolCallParser.forSetting("auto", Optional.of("... <tool_call> ..."))).isPresent();
        assertThat(ToolCallParser.forSetting("auto", Optional.of("<|im_start|>{{ m }}"))).isEmpty();
        assertThat(ToolCallParser.forSetting("auto", Optional.empty())).isEmpty();
        assertThat(ToolCallParser.forSetting("auto", Optional.of("Respond in the format {\"name\": function name, "
                + "\"parameters\": dictionary of argument name and its value}")).map(ToolCallParser::name))
                .contains("llama3_json");
        assertThat(ToolCallParser.forSetting("none", Optional.of("<tool_call>"))).isEmpty();
        assertThat(ToolCallParser.forSetting("auto", Optional.of("{{ '[AVAILABLE_TOOLS]' + tools|tojson }}"))
                .map(ToolCallParser::name)).contains("mistral");
        assertThatThrownBy(() -> ToolCallParser.forSetting("pythonic", Optional.empty()))
                .hasMessageContaining("tool_call_parser").hasMessageContaining("pythonic");
    }

    @Test
    void mistral_calls_follow_the_tool_calls_token_as_a_json_array_or_one_name_and_arguments_each() {
        ToolCallParser.Parsed array = MISTRAL.parse("Checking. [TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": "
                + "{\"city\": \"Oslo\"}}, {\"name\": \"now\", \"arguments\": {}}]", TOOLS);
        ToolCallParser.Parsed v11 = MISTRAL.parse("[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Oslo\"}"
                + "[TOOL_CALLS]now[ARGS]{}", TOOLS);

        assertThat(array.content()).isEqualTo("Checking. ");
        assertThat(array.calls()).containsExactly(new ToolCallParser.Call("get_weather", "{\"city\":\"Oslo\"}"),
                new ToolCallParser.Call("now", "{}"));
        assertThat(v11.content()).isNull();
        assertThat(v11.calls()).isEqualTo(array.calls());
        assertThat(MISTRAL.keepsSpecialTokens()).as("[TOOL_CALLS] is a control token").isTrue();
        assertThat(HERMES.keepsSpecialTokens()).isFalse();
    }

    @Test
    void mistral_text_that_is_not_whole_calls_to_listed_functions_is_not_parsed() {
        assertThat(MISTRAL.parse("plain text [TOOL", TOOLS)).isNull();
        assertThat(MISTRAL.parse("[TOOL_CALLS][{\"name\": \"now\", \"arguments\": {", TOOLS)).as("cut short").isNull();
        assertThat(MISTRAL.parse("[TOOL_CALLS][{\"name\": \"rm\", \"arguments\": {}}]", TOOLS)).isNull();
        assertThat(MISTRAL.parse("[TOOL_CALLS]now{}", TOOLS)).as("no [ARGS]").isNull();
        assertThat(MISTRAL.parse("[TOOL_CALLS]now[ARGS][1]", TOOLS)).as("arguments not an object").isNull();
        assertThat(MISTRAL.parse("[TOOL_CALLS][]", TOOLS)).as("no call").isNull();
    }

    @Test
    void a_mistral_stream_is_held_back_from_the_tool_calls_token() {
        StringBuilder text = new StringBuilder("Sure [TOOL_");
        assertThat(MISTRAL.contentEnd(text, 0)).isEqualTo(5);
        text.append("CALLS][{");
        assertThat(MISTRAL.contentEnd(text, 5)).isEqualTo(5);
        assertThat(MISTRAL.contentEnd(new StringBuilder("Sure [x]"), 0)).isEqualTo(8);
    }

    @Test
    void a_request_whose_calls_mistral_reads_keeps_special_tokens_in_its_text() {
        io.vertx.core.json.JsonObject json = new io.vertx.core.json.JsonObject().put("tools", ChatToolCallsApiTest.TOOLS);
        CompletionRequest plain = new CompletionRequest(null, "hi", 8, 0, 1, java.util.List.of(), false, 0, null, null);

        CompletionRequest mistral = plain.withToolCalls(ToolCalls.parse(json, Optional.of(MISTRAL)));
        CompletionRequest hermes = plain.withToolCalls(ToolCalls.parse(json, Optional.of(HERMES)));

        assertThat(plain.sampling().skipSpecialTokens()).isTrue();
        assertThat(mistral.sampling().skipSpecialTokens()).isFalse();
        assertThat(hermes.sampling().skipSpecialTokens()).isTrue();
    }
}
