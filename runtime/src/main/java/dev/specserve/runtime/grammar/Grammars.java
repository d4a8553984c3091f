package dev.specserve.runtime.grammar;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.ArrayList;
import java.util.List;

/**
 * The grammars requests name, built once per distinct constraint: requests sending the same schema (the usual case:
 * one application, one schema) share its automaton and its token masks, as vLLM caches compiled grammars.
 */
final class Grammars {
    /** Distinct constraints kept compiled (each at most {@link DfaGrammar#MAX_STATES} states, a few MB). */
    static final int MAX_CACHED = 64;
    /** Longest schema text accepted (it is parsed and compiled per distinct text). */
    static final int MAX_SCHEMA_CHARS = 64 * 1024;
    static final int MAX_CHOICES = 256;

    private static final Cache<String, OutputGrammar> CACHE = Caffeine.newBuilder().maximumSize(MAX_CACHED).build();

    private Grammars() {}

    static OutputGrammar jsonSchema(String schema, String field) {
        if (schema.length() > MAX_SCHEMA_CHARS) {
            throw new GrammarException("the JSON schema has " + schema.length() + " characters; at most "
                    + MAX_SCHEMA_CHARS + " are served");
        }
        return CACHE.get(field + ":schema:" + schema, k -> new DfaGrammar(field, "the JSON schema",
                () -> SchemaCompiler.compile(schema)));
    }

    static OutputGrammar regex(String regex, String field) {
        if (regex.length() > MAX_SCHEMA_CHARS) {
            throw new GrammarException(field + " has " + regex.length() + " characters; at most " + MAX_SCHEMA_CHARS
                    + " are served");
        }
        return CACHE.get(field + ":regex:" + regex, k -> new DfaGrammar(field, field, () -> RegexAutomata.compile(regex)));
    }

    static OutputGrammar choice(List<String> choices, String field) {
        if (choices.isEmpty() || choices.size() > MAX_CHOICES) {
            throw new GrammarException(field + " must list 1 to " + MAX_CHOICES + " strings, got "
                    + choices.size());
        }
        String key = field + ":choice:" + String.join("\u0000", choices);
        if (key.length() > MAX_SCHEMA_CHARS) {
            throw new GrammarException(field + " has more than " + MAX_SCHEMA_CHARS + " characters");
        }
        List<String> copy = List.copyOf(choices);
        return CACHE.get(key, k -> new DfaGrammar(field, field, () -> {
            List<dk.brics.automaton.Automaton> each = new ArrayList<>();
            copy.forEach(c -> each.add(JsonAutomata.literal(c)));
            return JsonAutomata.union(each);
        }));
    }
}
