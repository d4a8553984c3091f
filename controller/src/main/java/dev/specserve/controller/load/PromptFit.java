package dev.specserve.controller.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Keeps the prompts the server's context can hold with {@code max_tokens} more, as vLLM's serving benchmarks filter
 * their datasets by length: the server would refuse the others (400 naming {@code max_tokens}), and a load test
 * measures serving, not refusals. Prompts are counted by the server's own {@code POST /tokenize} (vLLM's route, which
 * answers {@code count} and {@code max_model_len}); a server without it keeps every prompt.
 */
public final class PromptFit {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PromptFit() {}

    /** @param context the server's context in tokens, or 0 when it could not be asked (every prompt kept) */
    public record Result(List<String> kept, int dropped, int context) {}

    public static Result keepFitting(HttpClient http, CompletionStreamClient client, String url, List<String> prompts,
                                     int maxTokens) throws InterruptedException {
        URI tokenize = URI.create(url.replaceAll("/+$", "") + "/tokenize");
        List<String> kept = new ArrayList<>();
        int context = 0;
        for (String p : prompts) {
            JsonNode counted = count(http, client, tokenize, p);
            if (counted == null) {
                return new Result(List.copyOf(prompts), 0, 0);
            }
            if (counted.isMissingNode()) {
                continue; // the server refused to count it (too long even to tokenize): it would refuse to serve it
            }
            context = counted.path("max_model_len").asInt();
            if (counted.path("count").asInt() + maxTokens <= context) {
                kept.add(p);
            }
        }
        return new Result(kept, prompts.size() - kept.size(), context);
    }

    /**
     * The server's answer for one prompt; a missing node when it refused this prompt (400, 413: a text too long to
     * tokenize); null when it has no usable {@code /tokenize} at all.
     */
    private static JsonNode count(HttpClient http, CompletionStreamClient client, URI tokenize, String prompt)
            throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(client.authorised(HttpRequest.newBuilder(tokenize))
                            .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("prompt", prompt))))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 400 || r.statusCode() == 413) {
                return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
            }
            if (r.statusCode() != 200) {
                return null;
            }
            JsonNode body = JSON.readTree(r.body());
            return body.path("count").isInt() && body.path("max_model_len").isInt() ? body : null;
        } catch (IOException e) {
            return null;
        }
    }
}
