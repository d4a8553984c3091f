package dev.specserve.runtime.grammar;

/**
 * A constraint on a request's output (OpenAI's {@code response_format}, vLLM's guided decoding), checked byte by
 * byte: every token whose bytes the grammar refuses is masked out of the target's distribution before sampling or
 * argmax, and EOS until the output is {@link GrammarState#complete complete}. Immutable and shared by requests.
 */
public interface OutputGrammar {

    /** The state before any output. */
    GrammarState start();

    /** The request field that asked for this grammar, for errors ({@code response_format}, {@code guided_choice}). */
    String field();

    /**
     * This grammar's identity in the models' mask caches, which key on it without holding the grammar: a grammar
     * evicted from the compiled-grammar cache must not stay alive (automaton and all) for its cached masks.
     */
    long cacheId();

    /**
     * Does the expensive part of building this grammar (an automaton's construction), so that the engine thread
     * never does: call from a worker before queueing.
     *
     * @throws GrammarException when the grammar cannot be built (too large)
     */
    default void compile() {}

    /** Whether {@link #compile} has nothing (left) to do. */
    default boolean compiled() {
        return true;
    }

    /** OpenAI's JSON mode: any JSON object ({@link JsonObjectGrammar}). */
    static OutputGrammar jsonObject() {
        return JsonObjectGrammar.MODE;
    }

    /**
     * OpenAI's {@code response_format} json_schema (vLLM's {@code guided_json}): the JSON texts {@code schema} allows,
     * in one canonical layout ({@link SchemaCompiler} lists the keywords served). Cheap: the schema is compiled on
     * {@link #compile}, once per distinct schema text.
     *
     * @param field the request field that sent it, named in errors
     * @throws GrammarException when the schema text is too long
     */
    static OutputGrammar jsonSchema(String schema, String field) {
        return Grammars.jsonSchema(schema, field);
    }

    /**
     * vLLM's {@code guided_regex}: the texts the regular expression matches in full ({@link RegexAutomata} lists the
     * syntax served). Compiled on {@link #compile}.
     *
     * @throws GrammarException when the expression is too long
     */
    static OutputGrammar regex(String regex, String field) {
        return Grammars.regex(regex, field);
    }

    /**
     * vLLM's {@code guided_choice}: the output is exactly one of {@code choices}.
     *
     * @throws GrammarException for no choices, or too many
     */
    static OutputGrammar choice(java.util.List<String> choices, String field) {
        return Grammars.choice(choices, field);
    }
}
