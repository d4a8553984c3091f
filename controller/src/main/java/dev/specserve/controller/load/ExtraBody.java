package dev.specserve.controller.load;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** {@code load --extra-body}: fields merged into every request, except those the load generator sets itself. */
public final class ExtraBody {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ExtraBody() {}

    /** The fields of {@code extraBody} (a JSON object; null or blank: none). */
    public static Map<String, Object> parse(String extraBody) {
        if (extraBody == null || extraBody.isBlank()) {
            return Map.of();
        }
        Map<String, Object> fields;
        try {
            fields = JSON.readValue(extraBody, new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new IllegalArgumentException("--extra-body must be a JSON object, got " + extraBody);
        }
        for (String own : List.of("prompt", "max_tokens", "stream", "stream_options", "temperature", "strategy", "model")) {
            if (fields.containsKey(own)) {
                throw new IllegalArgumentException("--extra-body cannot set '" + own + "': load sets it (use its own "
                        + "option where there is one)");
            }
        }
        for (String many : List.of("n", "best_of", "echo")) { // the measurements read one choice's text per request
            if (fields.containsKey(many) && !(many.equals("echo") ? Boolean.FALSE : Integer.valueOf(1))
                    .equals(fields.get(many))) {
                throw new IllegalArgumentException("--extra-body cannot set '" + many + "': load times one choice's "
                        + "text per request (several interleave their chunks, which would read as inter-token gaps)");
            }
        }
        return fields;
    }
}
