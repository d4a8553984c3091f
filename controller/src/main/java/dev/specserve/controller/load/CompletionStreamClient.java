package dev.specserve.controller.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends one {@code POST /v1/completions} with {@code "stream": true} and times its server-sent events as they
 * arrive (JDK {@link HttpClient}, the body read line by line by a reactive subscriber, so each event is stamped
 * when its bytes come in). Never throws for a failed request: every failure becomes a {@link RequestResult}.
 */
public final class CompletionStreamClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final URI endpoint;
    private final int maxTokens;
    private final double temperature;
    private final String strategy;
    private final Duration timeout;
    private final String apiKey;
    /** Further request fields (top_p, top_k, ...), as given. */
    private final java.util.Map<String, Object> extra;

    public CompletionStreamClient(HttpClient http, String baseUrl, int maxTokens, double temperature, String strategy,
                                  Duration timeout) {
        this(http, baseUrl, maxTokens, temperature, strategy, timeout, null);
    }

    /**
     * @param baseUrl server root, e.g. {@code http://127.0.0.1:8000} (a trailing {@code /} is fine)
     * @param strategy the request's {@code strategy} field, or null for the server's default
     * @param timeout the whole request, from send to {@code [DONE]}
     * @param apiKey sent as {@code Authorization: Bearer}, or null for none
     */
    public CompletionStreamClient(HttpClient http, String baseUrl, int maxTokens, double temperature, String strategy,
                                  Duration timeout, String apiKey) {
        this(http, baseUrl, maxTokens, temperature, strategy, timeout, apiKey, java.util.Map.of());
    }

    /** @param extra further request fields, e.g. {@code top_p} */
    public CompletionStreamClient(HttpClient http, String baseUrl, int maxTokens, double temperature, String strategy,
                                  Duration timeout, String apiKey, java.util.Map<String, Object> extra) {
        this.extra = java.util.Map.copyOf(extra);
        this.http = http;
        this.endpoint = URI.create(baseUrl.replaceAll("/+$", "") + "/v1/completions");
        this.maxTokens = maxTokens;
        this.temperature = temperature;
        this.strategy = strategy;
        this.timeout = timeout;
        this.apiKey = apiKey;
    }

    /** An HTTP/1.1 client (one connection per concurrent request, kept alive between requests). */
    public static HttpClient newHttpClient() {
        return newHttpClient(null);
    }

    /** The same, trusting for HTTPS the certificates of {@code caCert} (PEM) instead of the JVM's; null: the JVM's. */
    public static HttpClient newHttpClient(java.nio.file.Path caCert) {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10));
        return (caCert == null ? b : b.sslContext(PemTrust.sslContext(caCert))).build();
    }

    public URI endpoint() {
        return endpoint;
    }

    /** {@code builder} with this client's API key, if it has one. */
    public HttpRequest.Builder authorised(HttpRequest.Builder builder) {
        return apiKey == null ? builder : builder.header("Authorization", "Bearer " + apiKey);
    }

    String body(String prompt) {
        ObjectNode body = JSON.createObjectNode()
                .put("prompt", prompt)
                .put("max_tokens", maxTokens)
                .put("temperature", temperature)
                .put("stream", true);
        body.putObject("stream_options").put("include_usage", true); // OpenAI servers send usage only when asked
        if (strategy != null) {
            body.put("strategy", strategy);
        }
        extra.forEach((k, v) -> body.set(k, JSON.valueToTree(v)));
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs one request to completion, failure or timeout, on the calling thread. */
    public RequestResult complete(String prompt) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofString(body(prompt), StandardCharsets.UTF_8));
        HttpRequest request = authorised(builder).build();
        long start = System.nanoTime();
        SseSubscriber events = new SseSubscriber(start);
        CompletableFuture<HttpResponse<Void>> exchange = http.sendAsync(request, info -> {
            events.status = info.statusCode();
            return HttpResponse.BodySubscribers.fromLineSubscriber(events, s -> null, StandardCharsets.UTF_8, null);
        });
        try {
            exchange.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            events.cancel();
            exchange.cancel(true);
            return RequestResult.failed("timeout", "no [DONE] within " + timeout.toMillis() + " ms",
                    System.nanoTime() - start);
        } catch (InterruptedException e) {
            events.cancel();
            exchange.cancel(true);
            Thread.currentThread().interrupt();
            return RequestResult.failed("interrupted", null, System.nanoTime() - start);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String reason = cause instanceof java.net.http.HttpTimeoutException ? "timeout"
                    : cause instanceof java.net.ConnectException ? "connection refused"
                    : cause.getClass().getSimpleName();
            return RequestResult.failed(reason, String.valueOf(cause.getMessage()), System.nanoTime() - start);
        }
        return events.result(System.nanoTime() - start);
    }

    /**
     * Reads {@code data:} events (one per blank-line-terminated block; several {@code data:} lines are joined by
     * newlines, as the SSE format says). Called by one thread at a time, as reactive streams guarantee.
     */
    private static final class SseSubscriber implements Flow.Subscriber<String> {
        private final long start;
        private final StringBuilder data = new StringBuilder();
        private final StringBuilder errorBody = new StringBuilder();
        private final long[] noChunks = new long[0];
        private long[] chunks = new long[16];
        private int chunkCount;
        volatile int status;
        private volatile Flow.Subscription subscription;
        private boolean hasData;
        private boolean done;
        private int usageTokens = -1;
        private String failure;
        private String message;
        private long doneNanos = -1;

        SseSubscriber(long start) {
            this.start = start;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            long now = System.nanoTime() - start;
            if (status != 200) {
                if (errorBody.length() < 4096) {
                    errorBody.append(line).append('\n');
                }
                return;
            }
            if (line.isEmpty()) {
                if (hasData) {
                    event(data.toString(), now);
                }
                data.setLength(0);
                hasData = false;
            } else if (line.startsWith("data:")) {
                String value = line.substring(5);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
            }
            // comments (':'), event:, id:, retry: lines carry nothing a completion needs
        }

        private void event(String payload, long now) {
            if (done || failure != null) {
                return;
            }
            if (payload.equals("[DONE]")) {
                done = true;
                doneNanos = now;
                return;
            }
            JsonNode chunk;
            try {
                chunk = JSON.readTree(payload);
            } catch (IOException e) {
                fail("bad_chunk", "unparsable event: " + abbreviate(payload));
                return;
            }
            if (chunk == null || !chunk.isObject()) {
                fail("bad_chunk", "event is not a JSON object: " + abbreviate(payload));
                return;
            }
            if (chunk.has("error")) {
                fail("error_chunk", chunk.path("error").path("message").asText(abbreviate(payload)));
                return;
            }
            String text = chunk.path("choices").path(0).path("text").asText("");
            if (!text.isEmpty()) {
                if (chunkCount == chunks.length) {
                    chunks = java.util.Arrays.copyOf(chunks, chunkCount * 2);
                }
                chunks[chunkCount++] = now;
            }
            JsonNode tokens = chunk.path("usage").path("completion_tokens");
            if (tokens.isIntegralNumber()) {
                usageTokens = tokens.asInt();
            }
        }

        private void fail(String reason, String detail) {
            failure = reason;
            message = detail;
        }

        @Override
        public void onError(Throwable t) {
            // the exchange future fails too; complete() reports that
        }

        @Override
        public void onComplete() {
            if (hasData) { // a last event without its blank line
                event(data.toString(), System.nanoTime() - start);
                hasData = false;
            }
        }

        void cancel() {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }

        RequestResult result(long endNanos) {
            if (status != 200) {
                String body = errorBody.toString().trim();
                String detail = body;
                try {
                    JsonNode err = JSON.readTree(body);
                    if (err != null && err.path("error").has("message")) {
                        detail = err.path("error").path("message").asText();
                    }
                } catch (IOException e) {
                    // not JSON: keep the raw text
                }
                return RequestResult.failed("http_" + status, abbreviate(detail), endNanos);
            }
            if (failure == null && !done) {
                fail("incomplete_stream", "the stream ended without data: [DONE]");
            }
            long e2e = doneNanos >= 0 ? doneNanos : endNanos;
            if (failure != null) {
                return RequestResult.failed(failure, message, e2e);
            }
            long[] times = chunkCount == 0 ? noChunks : java.util.Arrays.copyOf(chunks, chunkCount);
            boolean usage = usageTokens >= 0;
            return new RequestResult(null, null, chunkCount == 0 ? -1 : chunks[0], e2e, times,
                    usage ? usageTokens : chunkCount, usage);
        }

        private static String abbreviate(String s) {
            return s.length() <= 300 ? s : s.substring(0, 300) + "...";
        }
    }
}
