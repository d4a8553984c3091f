package dev.specserve.controller.server;

import dev.specserve.runtime.grammar.OutputGrammar;
import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * OpenAI's function calling, where the request says a call must come: {@code tool_choice} naming a function (the
 * output is its arguments, an instance of its {@code parameters} schema) or {@code "required"} (the output is a
 * JSON array of one or more {@code {"name", "parameters"}} calls to the listed functions), as vLLM serves them:
 * by structured output, so any model calls tools this way and speculation stays lossless. With {@code "auto"}
 * (the default with tools) the model decides, in its own call syntax, which a {@link ToolCallParser} reads from
 * its output; a model whose syntax is not known is refused.
 *
 * @param tools  the functions, as the chat template sees them ({@code {"type": "function", "function": {...}}})
 * @param named  the function {@code tool_choice} names, or null for {@code "required"}
 * @param grammar the constraint when a call must come, else null
 * @param parser  for {@code "auto"}: reads the calls from the model's text, else null
 * @param names   the listed functions' names
 * @param parallel false for {@code parallel_tool_calls: false}: one call at most ({@code "required"}: an array of
 *                 one; {@code "auto"}: the first call the model wrote, as vLLM answers it)
 */
record ToolCalls(List<Map<String, Object>> tools, String named, OutputGrammar grammar, ToolCallParser parser,
                 Set<String> names, boolean parallel) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final int MAX_TOOLS = 128;

    /**
     * The request's {@code tools} as the template sees them (null when none), after checking them, and its
     * {@code tool_choice}: a constraint when a call must come, null when the model answers in text.
     *
     * @param parser the model's call syntax, if known, for {@code "auto"}
     * @return null when the request sends no tools and no tool choice; else the tools, and a grammar or not
     */
    static ToolCalls parse(JsonObject json, Optional<ToolCallParser> parser) {
        Object toolsField = json.getValue("tools");
        Object choice = json.getValue("tool_choice");
        if (toolsField == null) {
            if (choice != null && !"none".equals(choice)) {
                throw new InvalidRequestException("tool_choice", "tool_choice needs tools");
            }
            return null;
        }
        if (!(toolsField instanceof JsonArray array) || array.isEmpty() || array.size() > MAX_TOOLS) {
            throw new InvalidRequestException("tools", "tools must be an array of 1 to " + MAX_TOOLS
                    + " {\"type\": \"function\", \"function\": {\"name\", \"parameters\"}}");
        }
        Map<String, JsonObject> byName = new LinkedHashMap<>();
        List<Map<String, Object>> forTemplate = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonObject function = function(array.getValue(i), "tools[" + i + "]");
            if (byName.put(function.getString("name"), function) != null) {
                throw new InvalidRequestException("tools", "tools[" + i + "] repeats the name '"
                        + function.getString("name") + "'");
            }
            Map<String, Object> tool = new LinkedHashMap<>(); // as OpenAI writes it, so tojson renders it so
            tool.put("type", "function");
            tool.put("function", JsonFields.plainMap(function));
            forTemplate.add(Collections.unmodifiableMap(tool));
        }
        List<Map<String, Object>> tools = Collections.unmodifiableList(forTemplate);
        Set<String> names = Set.copyOf(byName.keySet());
        boolean parallel = !Boolean.FALSE.equals(JsonFields.optionalBool(json, "parallel_tool_calls"));
        if (choice == null || "auto".equals(choice)) {
            return new ToolCalls(tools, null, null, parser.orElseThrow(() -> new InvalidRequestException("tool_choice",
                    "tool_choice \"auto\" (the default with tools) needs the model's own call syntax, and this "
                    + "model's chat template does not show one (the server's tool_call_parser setting names it: "
                    + "hermes, llama3_json or mistral); send tool_choice \"required\" or {\"type\": \"function\", \"function\": "
                    + "{\"name\": ...}}, or \"none\" for a text answer")), names, parallel);
        }
        if ("none".equals(choice)) {
            return new ToolCalls(tools, null, null, null, names, parallel);
        }
        if ("required".equals(choice)) {
            JsonArray calls = new JsonArray();
            byName.forEach((name, f) -> calls.add(new JsonObject().put("type", "object")
                    .put("properties", new JsonObject().put("name", new JsonObject().put("const", name))
                            .put("parameters", ToolSchemas.rooted(parameters(f), "#/items/anyOf/" + calls.size()
                                    + "/properties/parameters")))
                    .put("required", new JsonArray().add("name").add("parameters"))));
            JsonObject schema = new JsonObject().put("type", "array").put("minItems", 1)
                    .put("items", new JsonObject().put("anyOf", calls));
            if (!parallel) {
                schema.put("maxItems", 1);
            }
            return new ToolCalls(tools, null, grammar(schema), null, names, parallel);
        }
        if (choice instanceof JsonObject o && "function".equals(o.getValue("type"))
                && o.getValue("function") instanceof JsonObject f && f.getValue("name") instanceof String name) {
            JsonObject function = byName.get(name);
            if (function == null) {
                throw new InvalidRequestException("tool_choice", "tool_choice names '" + name + "', which is not "
                        + "in tools");
            }
            return new ToolCalls(tools, name, grammar(parameters(function)), null, names, parallel);
        }
        throw new InvalidRequestException("tool_choice", "tool_choice must be \"none\", \"required\" or {\"type\": "
                + "\"function\", \"function\": {\"name\": ...}}, got " + choice);
    }

    private static OutputGrammar grammar(JsonObject schema) {
        try {
            return OutputGrammar.jsonSchema(schema.encode(), "tools");
        } catch (dev.specserve.runtime.grammar.GrammarException e) {
            throw new InvalidRequestException("tools", e.getMessage());
        }
    }

    /** A tool's function, checked: a name, an optional description, parameters (an empty object schema if none). */
    private static JsonObject function(Object v, String at) {
        if (!(v instanceof JsonObject tool) || !"function".equals(tool.getValue("type"))
                || !(tool.getValue("function") instanceof JsonObject f)) {
            throw new InvalidRequestException("tools", at + " must be {\"type\": \"function\", \"function\": {...}}");
        }
        if (!(f.getValue("name") instanceof String name) || !NAME.matcher(name).matches()) {
            throw new InvalidRequestException("tools", at + ".function.name must be 1 to 64 letters, digits, _ or -");
        }
        Object parameters = f.getValue("parameters");
        if (parameters != null && !(parameters instanceof JsonObject)) {
            throw new InvalidRequestException("tools", at + ".function.parameters must be a JSON schema object");
        }
        JsonObject out = new JsonObject().put("name", name);
        if (f.getValue("description") instanceof String d) {
            out.put("description", d);
        }
        return parameters == null ? out : out.put("parameters", parameters); // the template sees what was sent
    }

    /** A function's parameters schema; none given means no arguments, as OpenAI reads it: {@code {}} only. */
    private static JsonObject parameters(JsonObject function) {
        JsonObject given = function.getJsonObject("parameters");
        return given != null ? given : new JsonObject().put("type", "object").put("properties", new JsonObject())
                .put("additionalProperties", false);
    }

    /** True when the output is the call(s), to be answered as {@code tool_calls}. */
    boolean calls() {
        return grammar != null;
    }

    /** True when the model decides ({@code "auto"}): its calls, if any, are parsed from its text. */
    boolean auto() {
        return parser != null;
    }

    /**
     * OpenAI's {@code tool_calls} for {@code text}, the generated output; null when it is not whole calls (cut short
     * by max_tokens, say), which is then answered as text.
     */
    JsonArray toolCalls(String text) {
        if (parser != null) {
            ToolCallParser.Parsed parsed = parser.parse(text, names);
            if (parsed == null) {
                return null;
            }
            JsonArray out = new JsonArray();
            parsed.calls().stream().limit(parallel ? Long.MAX_VALUE : 1)
                    .forEach(c -> out.add(call(c.name(), c.arguments())));
            return out;
        }
        try {
            if (named != null) {
                new JsonObject(text);
                return new JsonArray().add(call(named, text));
            }
            JsonArray parsed = new JsonArray(text); // whole calls, as the grammar lays them out
            JsonArray out = new JsonArray();
            for (Object d : new RequiredCallsStream().append(text)) { // each call's arguments as written
                JsonObject f = ((JsonObject) d).getJsonObject("function");
                out.add(call(f.getString("name"), f.getString("arguments")));
            }
            return out.size() == parsed.size() ? out : null;
        } catch (DecodeException | ClassCastException | NullPointerException e) {
            return null;
        }
    }

    static String newCallId() {
        return "chatcmpl-tool-" + UUID.randomUUID().toString().replace("-", "");
    }

    private static JsonObject call(String name, String arguments) {
        return new JsonObject()
                .put("id", newCallId())
                .put("type", "function")
                .put("function", new JsonObject().put("name", name).put("arguments", arguments));
    }
}
