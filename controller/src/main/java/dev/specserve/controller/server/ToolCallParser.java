package dev.specserve.controller.server;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A model family's own syntax for tool calls in its text, for {@code tool_choice: "auto"}: the model decides
 * whether to call, and its output is parsed afterwards, as vLLM's tool parsers do ({@code --tool-call-parser}).
 * Three are known: Hermes' ({@link HermesToolCalls}: Qwen 2-3, Hermes 2/3 and many fine-tunes), Llama 3's JSON
 * calls ({@link Llama3JsonToolCalls}: Llama 3.1-3.3) and Mistral's ({@link MistralToolCalls}).
 */
interface ToolCallParser {
    /** The {@code tool_call_parser} values. */
    List<String> SETTINGS = List.of("auto", "hermes", "llama3_json", "mistral", "none");

    /** The text before the first call (null when blank) and the calls, each a listed function's name and arguments. */
    record Parsed(String content, List<Call> calls) {}

    /** One call: the function's name and its arguments as a JSON object's text. */
    record Call(String name, String arguments) {}

    /** The setting's name for this syntax. */
    String name();

    /**
     * The calls in {@code text}, or null when it holds none, or any is not a whole call of a function in
     * {@code functions} with a JSON object of arguments (the output is then answered as text, as vLLM does).
     */
    Parsed parse(String text, Set<String> functions);

    /**
     * How much of a streamed output may go out as content now: all of it, except from where a call starts, or
     * may be starting, on. {@code sent} is how much went out before, so a parser need not search it again.
     */
    int contentEnd(StringBuilder text, int sent);

    /**
     * True when the calls start with a special token (Mistral's {@code [TOOL_CALLS]}), so the requests it reads must
     * keep special tokens in their text ({@code skip_special_tokens: false}).
     */
    default boolean keepsSpecialTokens() {
        return false;
    }

    /** {@link #contentEnd} for a syntax whose calls start with {@code tag}: up to it, or to a tail that may begin it. */
    static int heldFrom(String tag, StringBuilder text, int sent) {
        int open = text.indexOf(tag, Math.max(0, sent - tag.length()));
        if (open >= 0) {
            return open;
        }
        int n = text.length();
        for (int k = Math.min(tag.length() - 1, n - sent); k > 0; k--) {
            if (tag.regionMatches(0, text.substring(n - k), 0, k)) {
                return n - k;
            }
        }
        return n;
    }

    /**
     * The parser {@code setting} asks for, empty for {@code none}; {@code auto} reads the syntax from the model's
     * chat template (where a model declares how it calls): Hermes' when it writes {@code <tool_call>}, Llama 3's
     * when it writes {@code <|python_tag|>} or asks for {@code "parameters"} JSON, Mistral's when it writes
     * {@code [TOOL_CALLS]} or {@code [AVAILABLE_TOOLS]}.
     *
     * @throws IllegalArgumentException naming the setting when it is none of {@link #SETTINGS}
     */
    static Optional<ToolCallParser> forSetting(String setting, Optional<String> template) {
        return switch (setting.toLowerCase(Locale.ROOT)) {
            case "hermes" -> Optional.of(new HermesToolCalls());
            case "llama3_json" -> Optional.of(new Llama3JsonToolCalls());
            case "mistral" -> Optional.of(new MistralToolCalls());
            case "none" -> Optional.empty();
            case "auto" -> template.flatMap(t -> t.contains(HermesToolCalls.OPEN) ? Optional.of(new HermesToolCalls())
                    : Llama3JsonToolCalls.writtenBy(t) ? Optional.of(new Llama3JsonToolCalls())
                    : MistralToolCalls.writtenBy(t) ? Optional.of(new MistralToolCalls()) : Optional.empty());
            default -> throw new IllegalArgumentException("tool_call_parser must be one of " + SETTINGS + ", got '"
                    + setting + "'");
        };
    }

    /**
     * A call from its JSON text, {@code {"name": ..., "arguments": {...}}} (or {@code "parameters"}, as Llama
     * writes; arguments may come as a JSON string), or null when it is not a call of one of {@code functions}.
     */
    static Call call(String json, Set<String> functions) {
        JsonObject o;
        try {
            o = new JsonObject(json.strip());
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
        Object arguments = o.getValue("arguments") != null ? o.getValue("arguments") : o.getValue("parameters");
        if (!(o.getValue("name") instanceof String name) || !functions.contains(name)) {
            return null;
        }
        if (arguments instanceof JsonObject a) {
            return new Call(name, a.encode());
        }
        if (arguments instanceof String s) { // some models write the arguments as a JSON string
            try {
                return new Call(name, new JsonObject(s).encode());
            } catch (DecodeException | ClassCastException e) {
                return null;
            }
        }
        return null;
    }
}
