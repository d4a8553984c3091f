package dev.specserve.controller.server;

import static dev.specserve.controller.server.JsonFields.typeName;

import dev.specserve.runtime.spec.InvalidRequestException;
import dev.specserve.runtime.spec.TokenRestrictions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The fields about single tokens: OpenAI's {@code logit_bias}, vLLM's {@code allowed_token_ids} and {@code bad_words}. */
final class TokenFields {
    /** More ids than any vocabulary served here has. */
    static final int MAX_ALLOWED_IDS = 1 << 18;

    private TokenFields() {}

    /** {@code allowed_token_ids} and {@code bad_words} as {@link TokenRestrictions}. */
    static TokenRestrictions restrictions(JsonObject json) {
        return new TokenRestrictions(allowed(json.getValue("allowed_token_ids")), badWords(json.getValue("bad_words")));
    }

    private static Set<Integer> allowed(Object v) {
        if (v == null) {
            return Set.of();
        }
        if (!(v instanceof JsonArray a) || a.isEmpty() || a.size() > MAX_ALLOWED_IDS) {
            throw new InvalidRequestException("allowed_token_ids", "allowed_token_ids must be a non-empty array of at "
                    + "most " + MAX_ALLOWED_IDS + " token ids, got "
                    + (v instanceof JsonArray a ? a.size() + " ids" : typeName(v)));
        }
        Set<Integer> ids = new HashSet<>();
        for (Object o : a) {
            if (!(o instanceof Integer || o instanceof Long) || ((Number) o).longValue() < 0
                    || ((Number) o).longValue() > Integer.MAX_VALUE) {
                throw new InvalidRequestException("allowed_token_ids", "allowed_token_ids must hold token ids >= 0; "
                        + "found " + (o instanceof Number ? o : typeName(o)));
            }
            ids.add(((Number) o).intValue());
        }
        return ids;
    }

    private static List<String> badWords(Object v) {
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof JsonArray a)) {
            throw new InvalidRequestException("bad_words", "bad_words must be an array of strings, got " + typeName(v));
        }
        List<String> words = new ArrayList<>();
        for (Object o : a) {
            if (!(o instanceof String s)) {
                throw new InvalidRequestException("bad_words", "bad_words must be an array of strings; found "
                        + typeName(o));
            }
            words.add(s);
        }
        return words;
    }

    /** {@code {"<token id>": bias}}: ids are non-negative integers as strings, biases in [-100, 100]. */
    static java.util.Map<Integer, Double> logitBias(Object v) {
        if (v == null) {
            return java.util.Map.of();
        }
        if (!(v instanceof JsonObject o)) {
            throw new InvalidRequestException("logit_bias", "logit_bias must be an object of token id to bias, got "
                    + typeName(v));
        }
        if (o.size() > CompletionRequestParser.MAX_LOGIT_BIAS_ENTRIES) {
            throw new InvalidRequestException("logit_bias", "at most " + CompletionRequestParser.MAX_LOGIT_BIAS_ENTRIES
                    + " logit_bias entries, got " + o.size());
        }
        java.util.Map<Integer, Double> bias = new java.util.HashMap<>();
        for (java.util.Map.Entry<String, Object> e : o) {
            int id;
            try {
                id = Integer.parseInt(e.getKey().trim());
            } catch (NumberFormatException ex) {
                throw new InvalidRequestException("logit_bias", "logit_bias keys must be token ids (integers as "
                        + "strings), got \"" + e.getKey() + "\"");
            }
            if (id < 0) {
                throw new InvalidRequestException("logit_bias", "logit_bias token id must be >= 0, got " + id);
            }
            if (!(e.getValue() instanceof Number n) || !(n.doubleValue() >= -100 && n.doubleValue() <= 100)) {
                throw new InvalidRequestException("logit_bias", "logit_bias values must be numbers in [-100, 100], got "
                        + typeName(e.getValue()) + " for token " + id);
            }
            bias.put(id, n.doubleValue());
        }
        return bias;
    }
}
