package dev.specserve.controller.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.Node;
import dev.specserve.runtime.spec.InvalidRequestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jinjava.javax.el.CompositeELResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's chat template: {@code chat_template.jinja}, or {@code chat_template} of the
 * {@code tokenizer_config.json}, next to its {@code manifest.json}; a Jinja template as Hugging Face {@code apply_chat_template} renders it. It is compiled
 * once, here; each request renders it with HF's variables: {@code messages}, {@code add_generation_prompt=true},
 * the special tokens of the config ({@code bos_token}, {@code eos_token}, ...), {@code raise_exception(msg)} and
 * {@code strftime_now(format)}, with HF's environment settings ({@code trim_blocks}, {@code lstrip_blocks}) and
 * the Python string methods templates call ({@link PythonStringMethods}) and HF's {@code tojson}
 * ({@link PythonJsonFilter}). Message text is never interpreted as
 * template code.
 *
 * <p>Three states: usable; absent (no file, or no {@code chat_template} in it); broken (unreadable, or the
 * template does not compile: logged at start-up). Rendering an absent or broken template, or a template that
 * fails on the request's messages (including {@code raise_exception}), throws an
 * {@link InvalidRequestException} naming the problem, so the request is answered 400.
 */
public final class ChatTemplate {
    private static final Logger LOG = LoggerFactory.getLogger(ChatTemplate.class);
    public static final String CONFIG_FILE = "tokenizer_config.json";
    public static final String JINJA_FILE = "chat_template.jinja";
    /** Special tokens HF passes to the template, when the config names them. */
    private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "pad_token",
            "sep_token", "cls_token", "mask_token");
    /** Rendered prompts longer than this are refused (the request body itself is at most 1 MiB). */
    static final long MAX_OUTPUT_CHARS = 4L << 20;

    private final Jinjava jinjava;
    private final Node root;
    private final Map<String, Object> tokens;
    private final String unusable;
    private final String text;
    private final Optional<ToolCallParser> toolCalls;

    private ChatTemplate(Jinjava jinjava, Node root, Map<String, Object> tokens, String unusable, String text,
                         Optional<ToolCallParser> toolCalls) {
        this.jinjava = jinjava;
        this.root = root;
        this.tokens = tokens;
        this.unusable = unusable;
        this.text = text;
        this.toolCalls = toolCalls;
    }

    private ChatTemplate(Jinjava jinjava, Node root, Map<String, Object> tokens, String unusable, String text) {
        this(jinjava, root, tokens, unusable, text, ToolCallParser.forSetting("auto", Optional.ofNullable(text)));
    }

    /**
     * This template with the tool-call syntax {@code setting} names ({@code tool_call_parser}: auto, hermes or none;
     * auto, the default, reads it from the template).
     *
     * @throws IllegalArgumentException naming the setting when it is none of those
     */
    public ChatTemplate withToolCallParser(String setting) {
        return new ChatTemplate(jinjava, root, tokens, unusable, text, ToolCallParser.forSetting(setting, text()));
    }

    /** How the model writes tool calls in its text, for {@code tool_choice: "auto"}; empty when not known. */
    Optional<ToolCallParser> toolCallParser() {
        return toolCalls;
    }

    /** The name of that syntax ({@code hermes}), for the start-up log. */
    public Optional<String> toolCallSyntax() {
        return toolCalls.map(ToolCallParser::name);
    }

    /** No template: every render is refused with {@code why}. */
    public static ChatTemplate none(String why) {
        return new ChatTemplate(null, null, Map.of(), why, null);
    }

    /**
     * The template of the model in {@code modelDir}: {@code chat_template.jinja} when present (newer Hugging Face
     * checkpoints keep it there, and it wins as in HF), else {@code chat_template} of {@code tokenizer_config.json},
     * which also gives the special tokens. Absent or broken templates are logged and refuse to render.
     */
    public static ChatTemplate load(Path modelDir) {
        Path file = modelDir.resolve(CONFIG_FILE);
        Path jinja = modelDir.resolve(JINJA_FILE);
        String noTemplate = "this model has no chat template (no " + JINJA_FILE + " and no chat_template in "
                + CONFIG_FILE + " next to its manifest), so /v1/chat/completions cannot format messages; use "
                + "/v1/completions with a prompt";
        JsonNode config = null;
        if (Files.isRegularFile(file)) {
            try {
                config = new ObjectMapper().readTree(file.toFile());
            } catch (IOException e) {
                return broken(file, "cannot be read as JSON: " + e.getMessage());
            }
        }
        Map<String, String> tokens = config == null ? Map.of() : specialTokens(config);
        if (Files.isRegularFile(jinja)) {
            try {
                return compile(Files.readString(jinja), tokens, jinja.toString());
            } catch (IOException | RuntimeException e) {
                return broken(jinja, "cannot be read: " + e);
            }
        }
        Optional<String> template = config == null ? Optional.empty() : templateText(config.get("chat_template"));
        if (template.isEmpty()) {
            LOG.info("no chat template in {}: /v1/chat/completions answers 400", modelDir);
            return none(noTemplate);
        }
        return compile(template.get(), tokens, file.toString());
    }

    /** Compiles {@code template}; {@code tokens} are the special-token variables (e.g. bos_token). */
    public static ChatTemplate compile(String template, Map<String, String> tokens, String source) {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withElResolver(resolver)
                .withTrimBlocks(true)
                .withLstripBlocks(false) // done the Jinja2 way in TemplateSource
                .withNestedInterpretationEnabled(false) // message text is data, never template code
                .withFailOnUnknownTokens(false)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .build())
                .build());
        jinjava.registerFilter(new PythonJsonFilter());
        jinjava.registerFilter(new JinjaPythonisms.Items());
        jinjava.getGlobalContext().registerExpTest(new JinjaPythonisms.IsIterable());
        jinjava.getGlobalContext().registerTag(new JinjaPythonisms.Generation());
        jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplateFunctions.class,
                "raiseException", Object.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplateFunctions.class,
                "strftimeNow", String.class));
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        Node root;
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            root = interpreter.parse(TemplateSource.rewrite(template));
        } catch (RuntimeException e) {
            return broken(source, "does not compile: " + e.getMessage());
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        Optional<String> error = fatal(interpreter.getErrors());
        if (error.isPresent()) {
            return broken(source, "does not compile: " + error.get());
        }
        LOG.info("chat template of {} compiled ({} characters)", source, template.length());
        return new ChatTemplate(jinjava, root, Map.copyOf(tokens), null, template);
    }

    private static ChatTemplate broken(Object source, String why) {
        LOG.warn("chat template of {} {}; /v1/chat/completions answers 400 until it is fixed", source, why);
        return none("this model's chat template (" + CONFIG_FILE + ") " + why);
    }

    /** The template's source, when it compiled (vLLM's {@code /tokenizer_info} hands it to clients). */
    public Optional<String> text() {
        return Optional.ofNullable(text);
    }

    /** The special tokens the model's {@code tokenizer_config.json} names ({@code bos_token}, ...), by name. */
    public Map<String, Object> specialTokens() {
        return tokens;
    }

    /** True when requests can be rendered (they may still fail on particular messages). */
    public boolean usable() {
        return unusable == null;
    }

    /**
     * The prompt for {@code messages} (each a map with at least {@code role} and {@code content}), ending with
     * the assistant's turn.
     *
     * @throws InvalidRequestException naming {@code model} when there is no usable template, {@code messages}
     *                                 when it fails on these messages
     */
    public String render(List<Map<String, Object>> messages) {
        return render(messages, Rendering.DEFAULT);
    }

    /**
     * What a request may set of Hugging Face {@code apply_chat_template}'s arguments, as vLLM takes them.
     *
     * @param tools                OpenAI's {@code tools}, bound as {@code tools} (none when null)
     * @param addGenerationPrompt  end with the assistant's turn opened
     * @param continueFinalMessage end inside the last message, which the model then continues (an assistant
     *                             message written in part: "prefill"); the text after it is cut, as HF cuts it
     * @param kwargs               more template variables ({@code chat_template_kwargs}, such as Qwen 3's
     *                             {@code enable_thinking}); they may override the special tokens, not the above
     */
    public record Rendering(List<Map<String, Object>> tools, boolean addGenerationPrompt, boolean continueFinalMessage,
                            Map<String, Object> kwargs) {
        public static final Rendering DEFAULT = new Rendering(null, true, false, Map.of());
        /** Names {@code kwargs} may not take: the arguments above and the conversation itself. */
        public static final List<String> RESERVED = List.of("messages", "tools", "documents", "add_generation_prompt",
                "continue_final_message");

        public Rendering {
            kwargs = Map.copyOf(kwargs);
            if (addGenerationPrompt && continueFinalMessage) {
                throw new InvalidRequestException("continue_final_message", "continue_final_message continues the "
                        + "last message, so it cannot be combined with add_generation_prompt true, which opens a new one");
            }
            for (String k : kwargs.keySet()) {
                if (RESERVED.contains(k)) {
                    throw new InvalidRequestException("chat_template_kwargs", "chat_template_kwargs cannot set '" + k
                            + "'; it is a request field of its own");
                }
            }
        }

        public Rendering withTools(List<Map<String, Object>> tools) {
            return new Rendering(tools, addGenerationPrompt, continueFinalMessage, kwargs);
        }
    }

    /** {@code messages} rendered as {@code how} says. */
    public String render(List<Map<String, Object>> messages, Rendering how) {
        if (unusable != null) { // OpenAI names "model" when a model cannot chat
            throw new InvalidRequestException("model", unusable);
        }
        Map<String, Object> bindings = new HashMap<>(tokens);
        // Hugging Face's globals are names too, so `strftime_now is defined` holds; calls still reach the functions
        bindings.put("strftime_now", true);
        bindings.put("raise_exception", true);
        bindings.putAll(how.kwargs());
        bindings.put("messages", messages);
        bindings.put("add_generation_prompt", how.addGenerationPrompt());
        if (how.tools() != null) {
            bindings.put("tools", how.tools());
        }
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        interpreter.getContext().putAll(bindings);
        JinjavaInterpreter.pushCurrent(interpreter);
        String out;
        try {
            out = interpreter.render(root);
        } catch (RuntimeException e) {
            throw failed(ChatTemplateFunctions.raisedMessage(e).orElse(String.valueOf(e.getMessage())));
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        Optional<String> error = fatal(interpreter.getErrors());
        if (error.isPresent()) {
            throw failed(error.get());
        }
        return how.continueFinalMessage() ? endInside(out, messages.get(messages.size() - 1)) : out;
    }

    /**
     * The rendered chat cut right after the last message's text, as HF cuts it for {@code continue_final_message}
     * (its text as given, else stripped, since some templates trim messages).
     */
    private static String endInside(String rendered, Map<String, Object> last) {
        String text = String.valueOf(last.get("content"));
        int at = rendered.lastIndexOf(text);
        if (at < 0) {
            text = text.strip();
            at = rendered.lastIndexOf(text);
        }
        if (at < 0) {
            throw new InvalidRequestException("continue_final_message", "continue_final_message: the last "
                    + "message's content does not appear in the chat as the model's template renders it");
        }
        return rendered.substring(0, at + text.length());
    }

    private static InvalidRequestException failed(String why) {
        return new InvalidRequestException("messages", "the model's chat template cannot format these messages: "
                + why);
    }

    /** The first fatal error's message, with its line; a raise_exception call reports its own message. */
    private static Optional<String> fatal(List<TemplateError> errors) {
        for (TemplateError e : errors) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                String raised = ChatTemplateFunctions.raisedMessage(e.getException()).orElse(null);
                return Optional.of(raised != null ? raised : e.getMessage() + " (template line " + e.getLineno() + ")");
            }
        }
        return Optional.empty();
    }

    /** HF allows a string, or a list of named templates of which "default" is the chat one. */
    private static Optional<String> templateText(JsonNode node) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(node.asText());
        }
        if (node.isArray()) {
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                    return Optional.of(named.get("template").asText());
                }
            }
        }
        return Optional.empty();
    }

    /** A token is a string or an AddedToken object {@code {"content": ...}}. */
    private static Map<String, String> specialTokens(JsonNode config) {
        Map<String, String> tokens = new HashMap<>();
        for (String name : SPECIAL_TOKENS) {
            JsonNode t = config.get(name);
            if (t != null && t.isTextual()) {
                tokens.put(name, t.asText());
            } else if (t != null && t.path("content").isTextual()) {
                tokens.put(name, t.get("content").asText());
            }
        }
        return tokens;
    }
}
