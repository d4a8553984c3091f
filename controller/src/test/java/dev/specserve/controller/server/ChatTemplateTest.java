package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Year;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chat templates render as Hugging Face renders them, and every failure is a 400 naming the problem. */
class ChatTemplateTest {
    static final String CHATML = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
            + "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    static List<Map<String, Object>> conversation(Object... roleThenContent) {
        JsonArray messages = new JsonArray();
        for (int i = 0; i < roleThenContent.length; i += 2) {
            messages.add(new JsonObject().put("role", roleThenContent[i]).put("content", roleThenContent[i + 1]));
        }
        return ChatRequestParser.messages(messages);
    }

    @Test
    void common_model_family_templates_render_exactly_as_python_jinja2_renders_them() throws IOException {
        JsonObject ref;
        try (InputStream in = getClass().getResourceAsStream("/chat-templates/reference.json")) {
            ref = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        Map<String, String> tokens = Map.of("bos_token", "<s>", "eos_token", "</s>");
        int checked = 0;
        for (String name : ref.getJsonObject("templates").fieldNames()) {
            ChatTemplate template = ChatTemplate.compile(ref.getJsonObject("templates").getString(name), tokens, name);
            for (String conv : ref.getJsonObject("conversations").fieldNames()) {
                List<Map<String, Object>> messages = ChatRequestParser.messages(
                        ref.getJsonObject("conversations").getJsonArray(conv));
                String expected = ref.getJsonObject("expected").getString(name + "/" + conv);
                String actual;
                try {
                    actual = template.render(messages);
                } catch (InvalidRequestException e) {
                    actual = "raise_exception: " + e.getMessage().substring(e.getMessage().lastIndexOf(": ") + 2);
                }
                assertThat(actual).as(name + " on " + conv).isEqualTo(expected);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(ref.getJsonObject("expected").size()).isGreaterThanOrEqualTo(27);
    }

    @Test
    void message_text_is_data_and_never_runs_as_template_code() {
        ChatTemplate t = ChatTemplate.compile(CHATML, Map.of(), "test");

        String out = t.render(conversation("user", "{{ 7*7 }}{% raw %}{{ raise_exception('x') }}"));

        assertThat(out).contains("{{ 7*7 }}{% raw %}{{ raise_exception('x') }}").doesNotContain("49");
    }

    /** Jinja2 reads {@code not x is defined} as {@code not (x is defined)}: DeepSeek, Llama 3.x and Mistral rely on it. */
    @Test
    void not_binds_looser_than_tests_comparisons_and_in_as_in_jinja2() {
        ChatTemplate t = ChatTemplate.compile("{% if not add_generation_prompt is defined %}unset{% endif %}"
                + "{% if not tools is defined %}{% set tools = none %}{% endif %}[{{ tools is none }}]"
                + "{% if not messages[0]['role'] == 'user' %}!user{% endif %}"
                + "{% if not 'x' in messages[0]['content'] %}no-x{% endif %}"
                + "{% if not date_string is not defined %}date={{ date_string }}{% endif %}"
                + "{% if not messages|length == 1 %}many{% endif %}"
                + "{{ 'not x is defined' }}", Map.of(), "test");

        String plain = t.render(conversation("user", "abc"), ChatTemplate.Rendering.DEFAULT);
        String withDate = t.render(conversation("assistant", "x"), new ChatTemplate.Rendering(null, true, false,
                Map.of("date_string", "26 Jul 2024")));

        assertThat(plain).isEqualTo("[true]no-xnot x is defined");
        assertThat(withDate).isEqualTo("[true]!userdate=26 Jul 2024not x is defined");
    }

    @Test
    void hugging_faces_globals_are_defined_strings_are_iterable_and_items_lists_pairs() {
        ChatTemplate t = ChatTemplate.compile("{% if strftime_now is defined %}now{% endif %}"
                + "{% if raise_exception is defined %}raise{% endif %}"
                + "{% if messages[0].content is iterable %}{{ messages[0].content | tojson }}{% endif %}"
                + "{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}={{ v }};{% endfor %}", Map.of(), "test");

        assertThat(t.render(conversation("user", "{\"temp\": 21}")))
                .isEqualTo("nowraise\"{\\\"temp\\\": 21}\"a=1;b=2;");
    }

    @Test
    void tojson_takes_json_dumps_options_as_transformers_passes_them() {
        ChatTemplate t = ChatTemplate.compile("{% set v = {'b': [1, messages[0].content], 'a': none} %}"
                + "{{ v | tojson(indent=2, sort_keys=true) }}|{{ v | tojson(ensure_ascii=true, separators=(',', ':')) }}"
                + "|{{ v | tojson(indent='\t') }}", Map.of(), "test");

        assertThat(t.render(conversation("user", "\u00e9"))).as("Python's json.dumps of the same value").isEqualTo(
                "{\n  \"a\": null,\n  \"b\": [\n    1,\n    \"\u00e9\"\n  ]\n}"
                + "|{\"b\":[1,\"\\u00e9\"],\"a\":null}"
                + "|{\n\t\"b\": [\n\t\t1,\n\t\t\"\u00e9\"\n\t],\n\t\"a\": null\n}");
    }

    @Test
    void raise_exception_refuses_the_conversation_with_the_templates_own_message() {
        ChatTemplate t = ChatTemplate.compile("{% if messages[0]['role'] == 'system' %}"
                + "{{ raise_exception('System role not supported') }}{% endif %}ok", Map.of(), "test");

        assertThat(t.render(conversation("user", "hi"))).isEqualTo("ok");
        assertThatThrownBy(() -> t.render(conversation("system", "be brief", "user", "hi")))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.field()).isEqualTo("messages");
                    assertThat(e.getMessage()).endsWith("chat template cannot format these messages: "
                            + "System role not supported");
                });
    }

    @Test
    void special_tokens_come_from_the_config_as_strings_or_added_token_objects_and_strftime_now_works(
            @TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(ChatTemplate.CONFIG_FILE), new JsonObject()
                .put("bos_token", new JsonObject().put("__type", "AddedToken").put("content", "<|begin|>"))
                .put("eos_token", "<|end|>")
                .put("chat_template", "{{ bos_token }}{{ messages[0].content }}{{ eos_token }} "
                        + "{{ strftime_now('%Y') }}").encode());

        ChatTemplate t = ChatTemplate.load(dir);

        assertThat(t.usable()).isTrue();
        assertThat(t.render(conversation("user", "x"))).isEqualTo("<|begin|>x<|end|> " + Year.now().getValue());
    }

    @Test
    void a_chat_template_jinja_file_wins_over_the_config_as_in_hugging_face(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(ChatTemplate.CONFIG_FILE), new JsonObject().put("eos_token", "</s>")
                .put("chat_template", "from the config").encode());
        Files.writeString(dir.resolve(ChatTemplate.JINJA_FILE), "{{ messages[0].content }}{{ eos_token }}\n");

        // Jinja2 drops a template's final newline
        assertThat(ChatTemplate.load(dir).render(conversation("user", "from the file"))).isEqualTo("from the file</s>");
    }

    @Test
    void a_named_template_list_uses_the_default_one(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(ChatTemplate.CONFIG_FILE), new JsonObject().put("chat_template", new JsonArray()
                .add(new JsonObject().put("name", "tool_use").put("template", "tools"))
                .add(new JsonObject().put("name", "default").put("template", "chat:{{ messages|length }}"))).encode());

        assertThat(ChatTemplate.load(dir).render(conversation("user", "a", "assistant", "b"))).isEqualTo("chat:2");
    }

    @Test
    void without_a_template_rendering_is_refused_with_a_pointer_to_the_completions_api(@TempDir Path dir)
            throws IOException {
        ChatTemplate noFile = ChatTemplate.load(dir);
        Files.writeString(dir.resolve(ChatTemplate.CONFIG_FILE), "{\"eos_token\": \"</s>\"}");
        ChatTemplate noKey = ChatTemplate.load(dir);

        for (ChatTemplate t : List.of(noFile, noKey)) {
            assertThat(t.usable()).isFalse();
            assertThatThrownBy(() -> t.render(conversation("user", "hi")))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("has no chat template")
                    .hasMessageContaining("/v1/completions");
        }
    }

    @Test
    void a_broken_template_is_found_when_loaded_and_every_request_is_told_why(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(ChatTemplate.CONFIG_FILE),
                new JsonObject().put("chat_template", "{% for m in messages %}{{ m.content }}").encode());

        ChatTemplate t = ChatTemplate.load(dir);

        assertThat(t.usable()).isFalse();
        assertThatThrownBy(() -> t.render(conversation("user", "hi")))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("does not compile")
                .hasMessageContaining("endfor");
    }

    @Test
    void an_unreadable_config_is_reported_as_such(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(ChatTemplate.CONFIG_FILE), "{not json");

        assertThatThrownBy(() -> ChatTemplate.load(dir).render(conversation("user", "hi")))
                .hasMessageContaining("cannot be read as JSON");
    }

    // ---- the chat request fields ----

    final ChatRequestParser parser = new ChatRequestParser(new CompletionRequestParser(List.of("none"), 100),
            ChatTemplate.compile(CHATML, Map.of(), "test"));

    InvalidRequestException refused(String body) {
        try {
            parser.parse(new JsonObject(body));
        } catch (InvalidRequestException e) {
            return e;
        }
        throw new AssertionError("accepted: " + body);
    }

    @Test
    void messages_become_the_rendered_prompt_and_the_shared_fields_are_read_as_for_completions() {
        CompletionRequest r = parser.parse(new JsonObject("""
                {"messages": [{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
                 "max_completion_tokens": 7, "temperature": 0, "stop": ["\\n"], "seed": 3, "stream": true,
                 "logprobs": true, "top_logprobs": 2, "presence_penalty": 0.5}"""));

        assertThat(r.prompt()).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\na\nb<|im_end|>\n"
                + "<|im_start|>assistant\n");
        assertThat(r.maxTokens()).isEqualTo(7);
        assertThat(r.sampling().temperature()).isZero();
        assertThat(r.stop()).containsExactly("\n");
        assertThat(r.sampling().seed()).isEqualTo(3);
        assertThat(r.stream()).isTrue();
        assertThat(r.sampling().logprobs()).isEqualTo(2);
        assertThat(r.sampling().presencePenalty()).isEqualTo(0.5);
        assertThat(parser.parse(new JsonObject("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], "
                + "\"max_tokens\": 5}")).maxTokens()).isEqualTo(5);
        assertThat(parser.parse(new JsonObject("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}"))
                .sampling().logprobs()).isEqualTo(-1);
    }

    @Test
    void bad_messages_are_refused_naming_the_field_and_the_message() {
        assertThat(refused("{}").getMessage()).contains("messages is required");
        assertThat(refused("{\"messages\": []}").getMessage()).contains("messages is empty");
        assertThat(refused("{\"messages\": \"hi\"}").getMessage()).contains("must be an array");
        assertThat(refused("{\"messages\": [\"hi\"]}").getMessage()).contains("messages[0] must be an object");
        assertThat(refused("{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"narrator\", "
                + "\"content\": \"b\"}]}").getMessage()).contains("messages[1].role must be one of").contains("tool");
        assertThat(refused("{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"tool\", "
                + "\"content\": \"b\"}]}").getMessage()).contains("messages[1] (role tool) needs a tool_call_id");
        assertThat(refused("{\"messages\": [{\"content\": \"a\"}]}").getMessage()).contains("messages[0].role");
        assertThat(refused("{\"messages\": [{\"role\": \"user\", \"content\": 42}]}").getMessage())
                .contains("messages[0].content must be a string or an array of text parts");
        assertThat(refused("{\"messages\": [{\"role\": \"user\"}]}").getMessage()).contains("messages[0].content");
        assertThat(refused("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", "
                + "\"image_url\": {\"url\": \"x\"}}]}]}").getMessage())
                .contains("messages[0].content[0].type must be \"text\"");
        assertThat(refused("{\"messages\": [{\"role\": \"user\", \"content\": \"\", \"tool_calls\": []}]}")
                .getMessage()).contains("messages[0].tool_calls must be an array, on an assistant message");
        assertThat(refused("{\"messages\": [{\"role\": \"user\", \"content\": \"\", \"function_call\": {}}]}")
                .getMessage()).contains("messages[0].function_call is not supported");
        for (InvalidRequestException e : List.of(refused("{}"), refused("{\"messages\": [1]}"))) {
            assertThat(e.field()).isEqualTo("messages");
        }
    }

    @Test
    void chat_only_and_unsupported_fields_are_refused_naming_them() {
        String ok = "\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]";
        assertThat(refused("{" + ok + ", \"top_logprobs\": 2}").field()).isEqualTo("top_logprobs");
        assertThat(refused("{" + ok + ", \"logprobs\": true, \"top_logprobs\": 21}").field()).isEqualTo("top_logprobs");
        assertThat(refused("{" + ok + ", \"max_completion_tokens\": 101}").field()).isEqualTo("max_completion_tokens");
        assertThat(refused("{" + ok + ", \"n\": 33}").field()).isEqualTo("n");
        assertThat(refused("{" + ok + ", \"tools\": [{\"type\": \"function\"}]}").field()).isEqualTo("tools");
        assertThat(refused("{" + ok + ", \"response_format\": {\"type\": \"json_schema\"}}").field())
                .isEqualTo("response_format");
        assertThat(refused("{" + ok + ", \"prompt\": \"x\"}").getMessage()).contains("send messages");
        assertThat(refused("{" + ok + ", \"temperature\": -1}").field()).isEqualTo("temperature");
        // neutral values of unsupported parameters change nothing and are accepted
        parser.parse(new JsonObject("{" + ok + ", \"tool_choice\": \"none\", \"response_format\": {\"type\": \"text\"}, "
                + "\"user\": \"u1\", \"n\": 1}"));
    }
    @Test
    void a_request_may_continue_the_assistants_last_message_instead_of_opening_a_new_turn() {
        ChatTemplate t = ChatTemplate.compile(CHATML, Map.of(), "chatml");
        JsonObject prefill = new JsonObject().put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "Name a prime."))
                .add(new JsonObject().put("role", "assistant").put("content", "The prime is ")))
                .put("add_generation_prompt", false).put("continue_final_message", true);
        List<Map<String, Object>> messages = ChatRequestParser.messages(prefill.getValue("messages"));

        assertThat(t.render(messages, ChatRequestParser.rendering(prefill, messages)))
                .as("cut right after the partial answer, as HF cuts it (its trailing space kept)")
                .isEqualTo("<|im_start|>user\nName a prime.<|im_end|>\n<|im_start|>assistant\nThe prime is ");
        assertThat(t.render(messages, ChatRequestParser.rendering(prefill.copy().put("continue_final_message", false),
                messages))).as("add_generation_prompt false alone: the conversation as it stands").endsWith("<|im_end|>\n");
        JsonObject defaultPrompt = prefill.copy();
        defaultPrompt.remove("add_generation_prompt"); // true unless set
        for (JsonObject both : List.of(defaultPrompt, prefill.copy().put("add_generation_prompt", true))) {
            assertThatThrownBy(() -> ChatRequestParser.rendering(both, messages))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("add_generation_prompt")
                    .extracting(e -> ((InvalidRequestException) e).field()).isEqualTo("continue_final_message");
        }
        List<Map<String, Object>> userLast = conversation("user", "hi");
        assertThatThrownBy(() -> ChatRequestParser.rendering(new JsonObject().put("add_generation_prompt", false)
                .put("continue_final_message", true), userLast)).hasMessageContaining("must be the assistant's");
    }

    @Test
    void chat_template_kwargs_become_template_variables_but_cannot_replace_the_request_fields() {
        ChatTemplate t = ChatTemplate.compile("{% if enable_thinking is defined and not enable_thinking %}/no_think {% endif %}"
                + "{{ messages[0]['content'] }}", Map.of(), "qwen3-like");
        List<Map<String, Object>> messages = conversation("user", "hi");

        assertThat(t.render(messages, ChatRequestParser.rendering(new JsonObject().put("chat_template_kwargs",
                new JsonObject().put("enable_thinking", false)), messages))).isEqualTo("/no_think hi");
        assertThat(t.render(messages)).isEqualTo("hi");
        for (Object bad : List.of(new JsonObject().put("messages", new JsonArray()), "enable_thinking=false")) {
            assertThatThrownBy(() -> ChatRequestParser.rendering(new JsonObject().put("chat_template_kwargs", bad),
                    messages)).isInstanceOf(InvalidRequestException.class)
                    .extracting(e -> ((InvalidRequestException) e).field()).isEqualTo("chat_template_kwargs");
        }
    }
    @Test
    void tools_and_earlier_tool_calls_reach_the_template_as_plain_json_rendered_as_python_renders_them() {
        JsonObject body = new JsonObject("""
                {"messages": [{"role": "user", "content": "Weather?"},
                  {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                    "function": {"name": "g", "arguments": "{\\"city\\": \\"Oslo\\"}"}}]},
                  {"role": "tool", "tool_call_id": "c1", "content": "-3"}],
                 "tools": [{"type": "function", "function": {"name": "g", "description": "Weather", "parameters":
                   {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10},
                    "days": {"type": "array", "items": {"type": "integer"}}}, "required": ["city"]}}}],
                 "tool_choice": "none"}""");
        ChatTemplate t = ChatTemplate.compile("{{ tools | tojson }}|{{ messages[1]['tool_calls'] | tojson }}"
                + "|{% for k, v in tools[0]['function']['parameters']['properties'].items() %}{{ k }};{% endfor %}",
                Map.of(), "tools");
        List<Map<String, Object>> messages = ChatRequestParser.messages(body.getValue("messages"));
        ToolCalls tools = ToolCalls.parse(body, java.util.Optional.empty());

        String rendered = t.render(messages, ChatTemplate.Rendering.DEFAULT.withTools(tools.tools()));

        assertThat(rendered).as("Python's json.dumps of the same values").isEqualTo("[{\"type\": \"function\", "
                + "\"function\": {\"name\": \"g\", \"description\": \"Weather\", \"parameters\": {\"type\": \"object\", "
                + "\"properties\": {\"city\": {\"type\": \"string\", \"maxLength\": 10}, \"days\": {\"type\": \"array\", "
                + "\"items\": {\"type\": \"integer\"}}}, \"required\": [\"city\"]}}}]|[{\"id\": \"c1\", \"type\": "
                + "\"function\", \"function\": {\"name\": \"g\", \"arguments\": {\"city\": \"Oslo\"}}}]|city;days;");
        assertThat(t.render(messages, ChatTemplate.Rendering.DEFAULT.withTools(ToolCalls.parse(body,
                java.util.Optional.empty()).tools()))).as("the same every time").isEqualTo(rendered);
    }
}
