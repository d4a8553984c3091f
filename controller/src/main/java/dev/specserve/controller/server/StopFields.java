package dev.specserve.controller.server;

import static dev.specserve.controller.server.JsonFields.typeName;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.List;

/** The stop conditions a request names: OpenAI's {@code stop} strings and vLLM's {@code stop_token_ids}. */
final class StopFields {
    private StopFields() {}

    /** vLLM's {@code stop_token_ids}: an array of token ids, at most {@value CompletionRequestParser#MAX_STOP_STRINGS}. */
    static java.util.Set<Integer> stopTokenIds(Object v) {
        if (v == null) {
            return java.util.Set.of();
        }
        if (!(v instanceof JsonArray a) || a.size() > CompletionRequestParser.MAX_STOP_STRINGS) {
            throw new InvalidRequestException("stop_token_ids", "stop_token_ids must be an array of at most "
                    + CompletionRequestParser.MAX_STOP_STRINGS + " token ids, got " + (v instanceof JsonArray a ? a.size() + " ids" : typeName(v)));
        }
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        for (Object o : a) {
            if (!(o instanceof Integer || o instanceof Long) || ((Number) o).longValue() < 0
                    || ((Number) o).longValue() > Integer.MAX_VALUE) {
                throw new InvalidRequestException("stop_token_ids", "stop_token_ids must hold token ids >= 0; found "
                        + o);
            }
            ids.add(((Number) o).intValue());
        }
        return ids;
    }

    static List<String> stop(Object v) {
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v instanceof String s) {
            if (s.isEmpty()) {
                throw new InvalidRequestException("stop", "stop strings must not be empty");
            }
            out.add(s);
            return out;
        }
        if (!(v instanceof JsonArray a)) {
            throw new InvalidRequestException("stop", "stop must be a string or an array of strings, got " + typeName(v));
        }
        if (a.size() > CompletionRequestParser.MAX_STOP_STRINGS) {
            throw new InvalidRequestException("stop", "at most " + CompletionRequestParser.MAX_STOP_STRINGS + " stop strings, got " + a.size());
        }
        for (Object o : a) {
            if (!(o instanceof String s)) {
                throw new InvalidRequestException("stop", "stop must be a string or an array of strings; found " + typeName(o));
            }
            if (s.isEmpty()) {
                throw new InvalidRequestException("stop", "stop strings must not be empty");
            }
            out.add(s);
        }
        return out;
    }
}
