package dev.specserve.runtime.grammar;

import static dev.specserve.runtime.grammar.JsonAutomata.concat;
import static dev.specserve.runtime.grammar.JsonAutomata.literal;
import static dev.specserve.runtime.grammar.JsonAutomata.union;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.StatePair;
import dk.brics.automaton.Transition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON schema as a byte automaton of the JSON texts it allows, in {@link JsonAutomata}'s canonical layout. The
 * subset served is what structured-output clients send (OpenAI's strict mode, Pydantic's {@code model_json_schema}):
 * {@code type} (one or a list), {@code properties} with {@code required} (written in the order the schema lists
 * them; optional ones may be left out), {@code additionalProperties} (only listed properties are written, so any
 * setting holds), {@code items} with {@code minItems}/{@code maxItems}, {@code enum}, {@code const}, {@code anyOf} and
 * {@code oneOf} (as anyOf), a one-schema {@code allOf}, {@code $ref} into {@code $defs} or {@code definitions} (not
 * recursive), strings' {@code minLength}/{@code maxLength}, {@code pattern} ({@link RegexAutomata}) and {@code format}
 * ({@link StringFormats}),
 * integers' {@code minimum}/{@code maximum} (exclusive ones too). Annotations (title, description, default, ...)
 * are ignored. Any other keyword is refused by name, so no constraint is silently dropped.
 */
final class SchemaCompiler {
    static final int MAX_DEPTH = 16;
    static final int MAX_PROPERTIES = 64;
    static final int MAX_LENGTH = 512;
    static final int MAX_ITEMS = 64;
    /** Nesting allowed inside a value the schema leaves free ({@code {}} or {@code true}). */
    static final int FREE_DEPTH = 2;
    /**
     * Automaton states a schema may be built from, counting the copies construction makes (a string's states per
     * character allowed, an array item's per allowed repeat, every property's value and alternative once more for
     * the object or union copying it, so a {@code $ref} used many times is counted each time):
     * counted before each piece is built, so a schema that would take long to compile (the library determinizes
     * at a few thousand states a second here) is refused before the work.
     */
    static final long MAX_BUILD_STATES = 100_000;
    /** States of one string character (an escape, a UTF-8 sequence), for the count above. */
    private static final int STATES_PER_CHAR = 9;

    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema",
            "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "strict", "discriminator");
    /** Fractions read exactly (bounds beyond a double's 15-17 digits, or 1e400, stay what the schema says). */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private final JsonNode root;
    private final Deque<String> refs = new ArrayDeque<>();
    /** Each {@code $ref} target as compiled the first time at a depth, keyed by depth and reference. */
    private final Map<String, Automaton> definitions = new java.util.HashMap<>();
    private long work;

    private SchemaCompiler(JsonNode root) {
        this.root = root;
    }

    /** The automaton of {@code schema} (JSON text); throws {@link GrammarException} naming what is not served. */
    static Automaton compile(String schema) {
        JsonNode node;
        try {
            node = JSON.readTree(schema);
        } catch (JsonProcessingException e) {
            throw new GrammarException("the JSON schema is not valid JSON: " + e.getOriginalMessage());
        }
        return new SchemaCompiler(node).value(node, "#", 0);
    }

    private Automaton value(JsonNode s, String at, int depth) {
        if (depth > MAX_DEPTH) {
            throw new GrammarException("the JSON schema nests deeper than " + MAX_DEPTH + " at " + at);
        }
        if (s.isBoolean()) {
            return s.booleanValue() ? JsonAutomata.anyValue(FREE_DEPTH) : Automaton.makeEmpty();
        }
        if (!s.isObject()) {
            throw new GrammarException("a JSON schema must be an object or a boolean, got " + s.getNodeType() + " at " + at);
        }
        checkKeywords(s, at);
        JsonNode nullable = s.get("nullable");
        if (nullable != null && !nullable.isBoolean()) {
            throw new GrammarException("nullable must be true or false at " + at);
        }
        if (nullable != null && nullable.booleanValue()) { // OpenAPI 3.0's way, which OpenAI's SDKs write for nullable
            return union(List.of(notNullable(s, at, depth), literal("null")));
        }
        return notNullable(s, at, depth);
    }

    private Automaton notNullable(JsonNode s, String at, int depth) {
        if (s.has("$ref")) {
            return ref(s.get("$ref"), at, depth);
        }
        if (s.has("const")) {
            return JsonAutomata.value(s.get("const"));
        }
        if (s.has("enum")) {
            if (!s.get("enum").isArray() || s.get("enum").isEmpty()) {
                throw new GrammarException("enum must be a non-empty array at " + at);
            }
            List<Automaton> values = new ArrayList<>();
            s.get("enum").forEach(v -> values.add(JsonAutomata.value(v)));
            return union(values);
        }
        for (String combinator : new String[] {"anyOf", "oneOf", "allOf"}) {
            if (s.has(combinator)) {
                return combination(s, combinator, at, depth);
            }
        }
        if (!s.has("type")) {
            return s.has("properties") ? object(s, at, depth) : JsonAutomata.anyValue(FREE_DEPTH);
        }
        JsonNode type = s.get("type");
        List<Automaton> alternatives = new ArrayList<>();
        for (JsonNode t : type.isArray() ? type : List.of(type)) {
            if (!t.isTextual()) {
                throw new GrammarException("type must be a string or an array of strings at " + at);
            }
            alternatives.add(typed(s, t.textValue(), at, depth));
        }
        return union(alternatives);
    }

    private Automaton typed(JsonNode s, String type, String at, int depth) {
        return switch (type) {
            case "object" -> object(s, at, depth);
            case "array" -> array(s, at, depth);
            case "string" -> string(s, at);
            case "integer" -> NumericSchemas.integer(s, at);
            case "number" -> NumericSchemas.number(s, at);
            case "boolean" -> JsonAutomata.bool();
            case "null" -> literal("null");
            default -> throw new GrammarException("unknown type '" + type + "' at " + at);
        };
    }

    private Automaton object(JsonNode s, String at, int depth) {
        JsonNode props = s.get("properties");
        JsonNode extra = s.get("additionalProperties");
        Set<String> required = new HashSet<>();
        if (s.has("required")) {
            for (JsonNode r : s.get("required")) {
                if (!r.isTextual() || props == null || !props.has(r.textValue())) {
                    throw new GrammarException("required property " + r + " is not in properties at " + at);
                }
                required.add(r.textValue());
            }
        }
        if (props == null || props.isEmpty()) {
            // listed properties only: "properties": {} (a tool without arguments) is {} unless additionalProperties opens it
            boolean closed = extra == null ? props != null : extra.isBoolean() && !extra.booleanValue();
            if (closed) {
                return literal("{}");
            }
            Automaton member = extra != null && extra.isObject() ? value(extra, at + "/additionalProperties", depth + 1)
                    : JsonAutomata.anyValue(FREE_DEPTH);
            return JsonAutomata.map(member);
        }
        if (!props.isObject()) {
            throw new GrammarException("properties must be an object at " + at);
        }
        if (props.size() > MAX_PROPERTIES) {
            throw new GrammarException("at most " + MAX_PROPERTIES + " properties per object are served, got "
                    + props.size() + " at " + at);
        }
        List<Automaton> members = new ArrayList<>();
        List<Boolean> needed = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            Automaton v = value(p.getValue(), at + "/properties/" + p.getKey(), depth + 1);
            members.add(concat(JsonAutomata.key(p.getKey()), v));
            needed.add(required.contains(p.getKey()));
            spend(v.getNumberOfStates(), at + "/properties/" + p.getKey()); // the object is built from a copy of each
        }
        return object(members, needed);
    }

    /**
     * {@code {members}}: in order, each optional one present or not, separated by ", ". Built from one copy of each
     * member, joined through two junction states per position (nothing written yet, or something: then a ", "
     * comes first) and epsilon moves, so its size grows with the members' sizes, not with their square.
     */
    private static Automaton object(List<Automaton> members, List<Boolean> needed) {
        int n = members.size();
        State[] none = new State[n + 1];
        State[] some = new State[n + 1];
        for (int i = 0; i <= n; i++) {
            none[i] = new State();
            some[i] = new State();
        }
        // a set: the library asks it contains() for every pair the closure adds (a list made 64 optional members take 30-50 s)
        java.util.Set<StatePair> epsilons = new java.util.LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            Automaton m = members.get(i).clone();
            m.expandSingleton();
            java.util.Set<State> ends = m.getAcceptStates();
            State comma = new State();
            State space = new State();
            some[i].addTransition(new Transition(',', comma));
            comma.addTransition(new Transition(' ', space));
            epsilons.add(new StatePair(none[i], m.getInitialState()));
            epsilons.add(new StatePair(space, m.getInitialState()));
            for (State end : ends) {
                end.setAccept(false);
                epsilons.add(new StatePair(end, some[i + 1]));
            }
            if (!needed.get(i)) {
                epsilons.add(new StatePair(none[i], none[i + 1]));
                epsilons.add(new StatePair(some[i], some[i + 1]));
            }
        }
        State open = new State();
        State closed = new State();
        closed.setAccept(true);
        open.addTransition(new Transition('{', none[0]));
        none[n].addTransition(new Transition('}', closed));
        some[n].addTransition(new Transition('}', closed));
        Automaton a = new Automaton();
        a.setInitialState(open);
        a.addEpsilons(epsilons);
        return a;
    }

    private Automaton array(JsonNode s, String at, int depth) {
        if (s.has("uniqueItems") && s.get("uniqueItems").asBoolean()) {
            throw new GrammarException("uniqueItems is not supported at " + at);
        }
        int min = bound(s, "minItems", 0, MAX_ITEMS, at);
        int max = bound(s, "maxItems", -1, MAX_ITEMS, at);
        JsonNode items = s.get("items");
        Automaton item = items == null ? JsonAutomata.anyValue(FREE_DEPTH) : value(items, at + "/items", depth + 1);
        spend((long) item.getNumberOfStates() * (Math.max(1, Math.max(min, max)) - 1), at);
        return JsonAutomata.array(item, min, max);
    }

    private void spend(long states, String at) {
        work += states;
        if (work > MAX_BUILD_STATES) {
            throw new GrammarException("the JSON schema is too complex to compile: by " + at + " it takes about "
                    + work + " automaton states to build (at most " + MAX_BUILD_STATES + "); lower maxItems or "
                    + "maxLength, or make more properties required");
        }
    }

    /**
     * A string: of its lengths, or its format, or matching its pattern (in full, which satisfies JSON Schema's
     * match-anywhere rule too; only texts that need no escaping in JSON, so the pattern reads the raw text).
     */
    private Automaton string(JsonNode s, String at) {
        int min = bound(s, "minLength", 0, MAX_LENGTH, at);
        int max = bound(s, "maxLength", -1, MAX_LENGTH, at);
        spend((long) STATES_PER_CHAR * (max < 0 ? min + 1 : max), at);
        Automaton content = null;
        if (s.has("format")) {
            String f = s.get("format").asText();
            if (!StringFormats.REGEX.containsKey(f)) {
                throw new GrammarException("string format '" + f + "' is not supported (" + String.join(", ",
                        StringFormats.REGEX.keySet().stream().sorted().toList()) + " are) at " + at);
            }
            StringFormats.Format format = StringFormats.format(f);
            content = format.automaton().clone();
            if (min > format.shortest() || (max >= 0 && max < format.longest())) { // the lengths restrict the format
                // a product with a length counter: about the format's states times the characters counted
                spend((long) format.states() * ((max >= 0 ? max : min) + 1), at);
                content = content.intersection(JsonAutomata.repeatChars(JsonAutomata.plainChar(), min, max));
                if (content.isEmpty()) {
                    throw new GrammarException("no " + f + " string has minLength " + min + (max >= 0 ? " and maxLength "
                            + max : "") + " at " + at);
                }
            }
        }
        if (s.has("pattern")) {
            if (!s.get("pattern").isTextual()) {
                throw new GrammarException("pattern must be a string at " + at);
            }
            Automaton plain = JsonAutomata.plainChar();
            Automaton regex = RegexAutomata.compile(s.get("pattern").textValue());
            spend(regex.getNumberOfStates(), at + "/pattern"); // the regex has its own bound; the schema pays for it too
            Automaton texts = regex.intersection(JsonAutomata.repeatChars(plain, min, max));
            content = content == null ? texts : content.intersection(texts);
            if (content.isEmpty()) {
                throw new GrammarException("no string without JSON escapes matches the pattern (and the lengths and "
                        + "format) at " + at);
            }
        }
        return content != null ? JsonAutomata.quoted(content) : JsonAutomata.string(min, max);
    }

    private static int bound(JsonNode s, String key, int absent, int most, String at) {
        JsonNode v = s.get(key);
        if (v == null) {
            return absent;
        }
        if (!v.canConvertToInt() || v.asInt() < 0 || v.asInt() > most) {
            throw new GrammarException(key + " must be an integer in [0, " + most + "] at " + at + ", got " + v);
        }
        return v.asInt();
    }

    private Automaton combination(JsonNode s, String combinator, String at, int depth) {
        JsonNode list = s.get(combinator);
        if (!list.isArray() || list.isEmpty()) {
            throw new GrammarException(combinator + " must be a non-empty array at " + at);
        }
        if (combinator.equals("allOf") && list.size() != 1) {
            throw new GrammarException("allOf with more than one schema is not supported at " + at);
        }
        List<Automaton> alternatives = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            alternatives.add(value(list.get(i), at + "/" + combinator + "/" + i, depth + 1));
            spend(alternatives.get(i).getNumberOfStates(), at + "/" + combinator + "/" + i); // copied by the union
        }
        return union(alternatives);
    }

    private Automaton ref(JsonNode ref, String at, int depth) {
        String r = ref.asText();
        if (!r.startsWith("#/")) {
            throw new GrammarException("only local $ref (#/$defs/...) is supported, got '" + r + "' at " + at);
        }
        if (refs.contains(r)) {
            throw new GrammarException("recursive $ref '" + r + "' is not supported at " + at);
        }
        JsonNode target = root.at(r.substring(1));
        if (target.isMissingNode()) {
            throw new GrammarException("$ref '" + r + "' points nowhere at " + at);
        }
        // a definition used again at the same depth is copied, not compiled again (its user charges the copy); one
        // used at another depth is compiled there, so the depth limit does not depend on the order of use
        String key = (depth + 1) + r;
        Automaton built = definitions.get(key);
        if (built != null) {
            return built.clone();
        }
        refs.push(r);
        try {
            built = value(target, r, depth + 1);
            definitions.put(key, built);
            return built.clone();
        } finally {
            refs.pop();
        }
    }

    /** Refuses any keyword of {@code s} this compiler does not know, and those listed as not served. */
    private static void checkKeywords(JsonNode s, String at) {
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!ANNOTATIONS.contains(k) && !KNOWN.contains(k)) {
                throw new GrammarException("JSON schema keyword '" + k + "' is not supported at " + at);
            }
        }
    }

    private static final Set<String> KNOWN = Set.of("nullable", "type", "properties", "required", "additionalProperties", "items",
            "minItems", "maxItems", "uniqueItems", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "minLength",
            "maxLength", "format", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");
}
