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
 * Two are known: Hermes' ({@link HermesToolCalls}: Qwen 2-3, Hermes 2/3 and many fine-tunes) and Llama 3's JSON
 * calls ({@link Llama3JsonToolCalls}: Llama 3.1-3.3).
 */
interface ToolCallParser {
    /** The {@code tool_call_parser} values. */
    List<String> SETTINGS = List.of("auto", "hermes", "llama3_json", "none");

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
     * The parser {@code setting} asks for, empty for {@code none}; {@code auto} reads the syntax from the model's
     * chat template (where a model declares how it calls): Hermes' when it writes {@code <tool_call>}, Llama 3's
     * when it writes {@code <|python_tag|>} or asks for {@code "parameters"} JSON.
     *
     * @throws IllegalArgumentException naming the setting when it is none of {@link #SETTINGS}
     */
    static Optional<ToolCallParser> forSetting(String setting, Optional<String> template) {
        return switch (setting.toLowerCase(Locale.ROOT)) {
            case "hermes" -> Optional.of(new HermesToolCalls());
            case "llama3_json" -> Optional.of(new Llama3JsonToolCalls());
            case "none" -> Optional.empty();
            case "auto" -> template.flatMap(t -> t.contains(HermesToolCalls.OPEN) ? Optional.of(new HermesToolCalls())
                    : Llama3JsonToolCalls.writtenBy(t) ? Optional.of(new Llama3JsonToolCalls()) : Optional.empty());
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
