package dev.specserve.controller.server;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameters of the OpenAI and vLLM APIs that specserve does not implement: a request that sets one to anything
 * but the value that changes nothing is refused with a 400 naming it, never silently served differently.
 */
final class UnsupportedFields {
    private UnsupportedFields() {}

    /**
     * Parameters of the OpenAI and vLLM completions APIs that change the output and are not implemented, with the
     * value that leaves the output unchanged (accepted), or null when any non-null value is refused.
     */
    static final Map<String, Object> COMPLETIONS = completions();

    private static Map<String, Object> completions() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("suffix", "");
        m.put("length_penalty", 1);
        m.put("use_beam_search", false);
        m.put("spaces_between_special_tokens", true);
        m.put("top_logprobs", null);
        m.put("logits_processors", null);
        m.put("guided_grammar", null);
        m.put("guided_whitespace_pattern", null);
        m.put("return_tokens_as_token_ids", false);
        m.put("prompt_embeds", null);
        m.put("messages", null);
        m.put("tools", null);
        m.put("functions", null);
        return Collections.unmodifiableMap(m);
    }

    /**
     * Refuses every field of {@code unsupported} (field to the value that changes nothing, or null) that is set
     * to anything else; {@code hintField} gets {@code hint} appended to its message.
     */
    static void refuse(JsonObject json, Map<String, Object> unsupported, String hintField, String hint) {
        for (Map.Entry<String, Object> e : unsupported.entrySet()) {
            Object v = json.getValue(e.getKey());
            if (v == null || neutral(e.getKey(), v, e.getValue())) {
                continue;
            }
            throw new InvalidRequestException(e.getKey(), e.getKey() + " is not supported"
                    + (e.getValue() == null ? "" : " (only " + (e.getValue() instanceof String text ? "\"" + text + "\""
                            : e.getValue()) + ", which changes nothing)")
                    + (e.getKey().equals(hintField) ? "; " + hint : ""));
        }
    }

    private static boolean neutral(String field, Object v, Object neutral) {
        if (neutral instanceof Number n) {
            return v instanceof Number x && x.doubleValue() == n.doubleValue();
        }
        return neutral != null && neutral.equals(v);
    }
}
