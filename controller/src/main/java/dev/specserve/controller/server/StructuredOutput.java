package dev.specserve.controller.server;

import dev.specserve.runtime.grammar.GrammarException;
import dev.specserve.runtime.grammar.OutputGrammar;
import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The constraint a request puts on its output, in any of the ways OpenAI and vLLM clients send one: OpenAI's
 * {@code response_format} ({@code text}, {@code json_object}, {@code json_schema}), vLLM's {@code structured_outputs}
 * ({@code json}, {@code choice}, {@code json_object}) and its older {@code guided_json} and {@code guided_choice}.
 * At most one may be set. Parsing is cheap: a schema is compiled later, on a worker, once per distinct schema.
 */
final class StructuredOutput {
    private static final Set<String> STRUCTURED_OUTPUTS_SERVED = Set.of("json", "regex", "choice", "json_object");

    private StructuredOutput() {}

    /** The request's output grammar, or null when it sets none. */
    static OutputGrammar parse(JsonObject json) {
        OutputGrammar grammar = null;
        String from = null;
        for (String field : new String[] {"response_format", "structured_outputs", "guided_json", "guided_regex",
                "guided_choice"}) {
            Object v = json.getValue(field);
            if (v == null) {
                continue;
            }
            OutputGrammar g = grammar(field, v);
            if (g == null) {
                continue;
            }
            if (grammar != null) {
                throw new InvalidRequestException(field, field + " cannot be combined with " + from
                        + ": a request constrains its output one way");
            }
            grammar = g;
            from = field;
        }
        return grammar;
    }

    private static OutputGrammar grammar(String field, Object v) {
        try {
            return switch (field) {
                case "response_format" -> responseFormat(v);
                case "structured_outputs" -> structuredOutputs(v);
                case "guided_json" -> schema(v, field);
                case "guided_regex" -> regex(v, field);
                default -> choice(v, field);
            };
        } catch (GrammarException e) {
            throw new InvalidRequestException(field, e.getMessage());
        }
    }

    /** {@code {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}, "strict": ...}}}. */
    private static OutputGrammar responseFormat(Object v) {
        String type = v instanceof JsonObject o && o.getValue("type") instanceof String t ? t : null;
        if ("text".equals(type)) {
            return null;
        }
        if ("json_object".equals(type)) {
            return OutputGrammar.jsonObject();
        }
        if ("json_schema".equals(type)) {
            Object spec = ((JsonObject) v).getValue("json_schema");
            if (!(spec instanceof JsonObject s) || !(s.getValue("schema") instanceof JsonObject schema)) {
                throw new InvalidRequestException("response_format", "response_format json_schema needs "
                        + "\"json_schema\": {\"name\": ..., \"schema\": {...}}, got " + v);
            }
            if (s.getValue("name") != null && !(s.getValue("name") instanceof String)) {
                throw new InvalidRequestException("response_format", "response_format json_schema.name must be a string");
            }
            return OutputGrammar.jsonSchema(schema.encode(), "response_format");
        }
        throw new InvalidRequestException("response_format", "response_format must be {\"type\": \"text\"}, "
                + "{\"type\": \"json_object\"} or {\"type\": \"json_schema\", \"json_schema\": {...}}, got " + v);
    }

    /** vLLM's {@code structured_outputs}: one of {@code json}, {@code choice}, {@code json_object}. */
    private static OutputGrammar structuredOutputs(Object v) {
        if (!(v instanceof JsonObject o)) {
            throw new InvalidRequestException("structured_outputs", "structured_outputs must be an object, got " + v);
        }
        OutputGrammar g = null;
        for (String k : o.fieldNames()) {
            Object value = o.getValue(k);
            if (value == null || Boolean.FALSE.equals(value)) {
                continue;
            }
            if (!STRUCTURED_OUTPUTS_SERVED.contains(k)) {
                throw new InvalidRequestException("structured_outputs", "structured_outputs." + k + " is not supported "
                        + "(json, regex, choice and json_object are)");
            }
            if (g != null) {
                throw new InvalidRequestException("structured_outputs", "structured_outputs sets more than one of "
                        + "json, regex, choice and json_object");
            }
            g = switch (k) {
                case "json" -> schema(value, "structured_outputs");
                case "regex" -> regex(value, "structured_outputs");
                case "choice" -> choice(value, "structured_outputs");
                default -> {
                    if (!Boolean.TRUE.equals(value)) {
                        throw new InvalidRequestException("structured_outputs", "structured_outputs.json_object must "
                                + "be true or false");
                    }
                    yield OutputGrammar.jsonObject();
                }
            };
        }
        return g;
    }

    /** A JSON schema, as an object or as JSON text (vLLM accepts both). */
    private static OutputGrammar schema(Object v, String field) {
        if (v instanceof JsonObject o) {
            return OutputGrammar.jsonSchema(o.encode(), field);
        }
        if (v instanceof String s) {
            return OutputGrammar.jsonSchema(s, field);
        }
        throw new InvalidRequestException(field, field + " must be a JSON schema (an object, or its JSON text), got "
                + v);
    }

    private static OutputGrammar regex(Object v, String field) {
        if (!(v instanceof String s) || s.isEmpty()) {
            throw new InvalidRequestException(field, field + " must be a non-empty regular expression string, got " + v);
        }
        return OutputGrammar.regex(s, field);
    }

    private static OutputGrammar choice(Object v, String field) {
        if (!(v instanceof JsonArray a)) {
            throw new InvalidRequestException(field, field + " choices must be an array of strings, got " + v);
        }
        List<String> choices = new ArrayList<>();
        for (Object c : a) {
            if (!(c instanceof String s) || s.isEmpty()) {
                throw new InvalidRequestException(field, field + " choices must be non-empty strings, got " + c);
            }
            choices.add(s);
        }
        return OutputGrammar.choice(choices, field);
    }
}
