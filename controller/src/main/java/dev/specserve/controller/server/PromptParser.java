package dev.specserve.controller.server;

import static dev.specserve.controller.server.JsonFields.typeName;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.List;

/** The completions API's {@code prompt} field in each of its OpenAI forms; every refusal names {@code prompt}. */
final class PromptParser {
    /** Most prompts one request may hold (a batch); the server's own bound (max_batch + queue) is usually lower. */
    static final int MAX_PROMPTS = 1024;

    private PromptParser() {}

    /**
     * OpenAI's {@code prompt}: a string, an array of strings (a batch), an array of token ids, or an array of such
     * arrays; an array of one string is one prompt.
     */
    static List<Prompt> prompts(Object v, int contextLength) {
        if (v == null) {
            throw new InvalidRequestException("prompt", "prompt is required");
        }
        if (!(v instanceof JsonArray a)) {
            return List.of(Prompt.text(text(v, "prompt")));
        }
        if (a.isEmpty()) {
            throw new InvalidRequestException("prompt", "prompt is an empty array; send a string, an array of strings, "
                    + "an array of token ids or an array of such arrays");
        }
        if (isTokenId(a.getValue(0))) {
            return List.of(Prompt.tokens(tokens(a, "prompt", contextLength)));
        }
        if (a.size() > MAX_PROMPTS) {
            throw new InvalidRequestException("prompt", "at most " + MAX_PROMPTS + " prompts per request, got " + a.size());
        }
        boolean tokenBatch = a.getValue(0) instanceof JsonArray;
        List<Prompt> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            Object p = a.getValue(i);
            String where = "prompt[" + i + "]";
            if (tokenBatch != p instanceof JsonArray) {
                throw new InvalidRequestException("prompt", where + " is " + typeName(p) + " but prompt[0] is "
                        + typeName(a.getValue(0)) + "; a batch is all strings or all token-id arrays");
            }
            out.add(tokenBatch ? Prompt.tokens(tokens((JsonArray) p, where, contextLength))
                    : Prompt.text(text(p, where)));
        }
        return out;
    }

    private static String text(Object v, String where) {
        if (!(v instanceof String s)) {
            throw new InvalidRequestException("prompt", where + " must be a string, got " + typeName(v));
        }
        if (s.isEmpty()) {
            throw new InvalidRequestException("prompt", where + " is empty");
        }
        return s;
    }

    private static boolean isTokenId(Object o) {
        return o instanceof Integer || o instanceof Long;
    }

    /** A token prompt: non-negative integer ids, fewer than the context holds (the engine checks the vocabulary). */
    private static int[] tokens(JsonArray a, String where, int contextLength) {
        if (a.isEmpty()) {
            throw new InvalidRequestException("prompt", where + " is an empty token array");
        }
        if (a.size() >= contextLength) {
            throw new InvalidRequestException("prompt", where + " has " + a.size() + " tokens but this model's "
                    + "maximum context length is " + contextLength + " (at most " + (contextLength - 1) + " prompt tokens)");
        }
        int[] ids = new int[a.size()];
        for (int i = 0; i < ids.length; i++) {
            Object o = a.getValue(i);
            if (!isTokenId(o) || ((Number) o).longValue() < 0 || ((Number) o).longValue() > Integer.MAX_VALUE) {
                throw new InvalidRequestException("prompt", where + " must hold token ids (integers >= 0); element "
                        + i + " is " + (o instanceof Number ? o : typeName(o)));
            }
            ids[i] = ((Number) o).intValue();
        }
        return ids;
    }
}
