package dev.specserve.runtime.grammar;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dk.brics.automaton.Automaton;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The grammars requests name, built once per distinct constraint: requests sending the same schema (the usual case:
 * one application, one schema) share its automaton and its token masks, as vLLM caches compiled grammars.
 */
final class Grammars {
    /**
     * Bytes of compiled constraints kept, by their tables (a constraint of {@link DfaGrammar#MAX_STATES} states can
     * take tens of MB; a small one counts 64 KiB): 256 MiB, or an eighth of the heap if that is less (a 400 MB heap
     * filled with 256 MiB of constraints and 64 MiB of masks ran out of memory).
     */
    static final long MAX_CACHED_BYTES = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 8);
    /** Longest schema text accepted (it is parsed and compiled per distinct text). */
    static final int MAX_SCHEMA_CHARS = 64 * 1024;
    static final int MAX_CHOICES = 256;

    private static final Cache<String, DfaGrammar> CACHE = Caffeine.newBuilder().maximumWeight(MAX_CACHED_BYTES)
            .weigher((String key, DfaGrammar g) -> (int) Math.min(Integer.MAX_VALUE, g.bytes() + 2L * key.length()))
            .build();

    /** The grammar cached under {@code key}, built (not yet compiled) on a miss; weighed again once compiled. */
    private static OutputGrammar cached(String key, String field, String description, Supplier<Automaton> language) {
        return CACHE.get(key, k -> new DfaGrammar(field, description, language, g -> CACHE.asMap().replace(k, g, g)));
    }

    /** Forgets every cached grammar (requests holding one keep it): for tests. */
    static void clear() {
        CACHE.invalidateAll();
        CACHE.cleanUp();
    }

    /** Bytes the cache holds by its weights: for tests. */
    static long cachedBytes() {
        CACHE.cleanUp();
        return CACHE.policy().eviction().orElseThrow().weightedSize().orElseThrow();
    }

    private Grammars() {}

    static OutputGrammar jsonSchema(String schema, String field) {
        if (schema.length() > MAX_SCHEMA_CHARS) {
            throw new GrammarException("the JSON schema has " + schema.length() + " characters; at most "
                    + MAX_SCHEMA_CHARS + " are served");
        }
        return cached(field + ":schema:" + schema, field, "the JSON schema", () -> SchemaCompiler.compile(schema));
    }

    static OutputGrammar regex(String regex, String field) {
        if (regex.length() > MAX_SCHEMA_CHARS) {
            throw new GrammarException(field + " has " + regex.length() + " characters; at most " + MAX_SCHEMA_CHARS
                    + " are served");
        }
        return cached(field + ":regex:" + regex, field, field, () -> RegexAutomata.compile(regex));
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
        return cached(key, field, field, () -> {
            List<Automaton> each = new ArrayList<>();
            copy.forEach(c -> each.add(JsonAutomata.literal(c)));
            return JsonAutomata.union(each);
        });
    }
}
