package dev.specserve.controller.server;

import static dev.specserve.controller.server.HttpReplies.error;
import static dev.specserve.controller.server.HttpReplies.json;
import static dev.specserve.controller.server.HttpReplies.open;

import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP answer to a request of {@code n} choices for each of its prompts, each generated as its own sequence: an
 * observer per choice ({@link #choice}, numbered prompt by prompt as OpenAI numbers a batch's choices), one answer
 * once every choice is done. The first choice to fail (refused on submission or
 * failed in the engine) answers with its error, once, and runs {@link #onFailure} to cancel the others; what
 * the others report after that is dropped.
 */
abstract class ChoicesReply {
    private static final Logger LOG = LoggerFactory.getLogger(ChoicesReply.class);
    final HttpServerResponse resp;
    final ResponseShape shape;
    final ResponseShape.Head head;
    final GenerationResult[] results;
    final RequestStats[] stats;
    /** Choices per prompt. */
    private final int perPrompt;
    /** Each prompt's text, which its choices' text starts with; null without echo. */
    private final List<String> echoes;
    /** Echo with max_tokens 0: the decoded token is left out of the answer. */
    private final boolean promptOnly;
    private int completed;
    private boolean failed;
    private Runnable onFailure = () -> {};

    ChoicesReply(HttpServerResponse resp, ResponseShape shape, ResponseShape.Head head, CompletionRequest req) {
        this.resp = resp;
        this.shape = shape;
        this.head = head;
        this.results = new GenerationResult[req.sequences()];
        this.stats = new RequestStats[req.sequences()];
        this.perPrompt = req.n();
        this.echoes = req.echo() ? req.prompts().stream().map(Prompt::text).toList() : null;
        this.promptOnly = req.scoresPromptOnly();
    }

    /** The head of choice {@code index}: the response's, with its prompt to echo. */
    ResponseShape.Head head(int index) {
        return echoes == null ? head : new ResponseShape.Head(head.id(), head.created(), head.model(),
                echoes.get(index / perPrompt));
    }

    int n() {
        return results.length;
    }

    void onFailure(Runnable r) {
        onFailure = r;
    }

    /** A choice was queued by the engine (a stream writes its head now). */
    void admitted() {}

    /** Answers with {@code e} unless an answer already went out or failed, and cancels the other choices. */
    void fail(ApiError e) {
        if (failed) {
            return;
        }
        failed = true;
        onFailure.run();
        writeError(e);
    }

    abstract void writeError(ApiError e);

    /** Text of choice {@code index} as it is generated (streams only). */
    void tokens(int index, String textDelta, List<TokenLogprob> lps) {}

    /** Choice {@code index} finished; {@code last} is true for the last of all. */
    abstract void completed(int index, boolean last);

    GenerationObserver choice(int index) {
        return new GenerationObserver() {
            @Override
            public void onTokens(int[] tokens, String textDelta) {
                onTokens(tokens, textDelta, List.of());
            }

            @Override
            public void onTokens(int[] tokens, String textDelta, List<TokenLogprob> lps) {
                if (!failed && !promptOnly) {
                    tokens(index, textDelta, lps);
                }
            }

            @Override
            public void onComplete(GenerationResult result, RequestStats s) {
                if (!failed) {
                    results[index] = promptOnly ? withoutOutput(result) : result;
                    stats[index] = s;
                    completed(index, ++completed == results.length);
                }
            }

            @Override
            public void onError(Throwable error) {
                if (error instanceof dev.specserve.runtime.engine.ServiceUnavailableException) { // shutting down, timed out
                    LOG.info("request {} (choice {}): {}", head.id(), index, error.getMessage());
                } else {
                    LOG.warn("request {} (choice {}) failed in the engine", head.id(), index, error);
                }
                fail(ApiError.from(error));
            }
        };
    }

    /** The prompt's side of a result: no output tokens, text or output logprobs, finished for length. */
    private static GenerationResult withoutOutput(GenerationResult r) {
        return new GenerationResult(new int[0], "", FinishReason.LENGTH, r.promptTokens(), r.rounds(),
                r.acceptedDraftTokens(), r.prefillNanos(), r.totalNanos(), r.draftNanos(), r.verifyNanos(), r.javaNanos(),
                r.draftForwards(), r.treeNodes(), r.logprobs() == null ? null : List.of(), r.promptLogprobs());
    }

    /**
     * {@code usage} of the whole request: each prompt once, the completion tokens of every choice, and as OpenAI
     * reports them the prompt tokens the prefix cache served ({@code prompt_tokens_details.cached_tokens}).
     */
    JsonObject usage() {
        int prompt = 0;
        int cached = 0;
        int completion = 0;
        for (int i = 0; i < results.length; i++) {
            if (i % perPrompt == 0) {
                prompt += results[i].promptTokens();
                cached += stats[i] == null ? 0 : stats[i].prefixCacheHitTokens();
            }
            completion += results[i].tokens().length;
        }
        return new JsonObject().put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion)
                .put("prompt_tokens_details", new JsonObject().put("cached_tokens", cached));
    }

    /** {@code o} with its OpenAI {@code usage} (not the Responses API's, counted its own way) the request's. */
    JsonObject withUsage(JsonObject o) {
        JsonObject u = o.getJsonObject("usage");
        return u != null && u.containsKey("prompt_tokens") ? o.put("usage", usage()) : o;
    }

    /** {@code chunk} with its one choice numbered {@code index}. */
    static JsonObject indexed(JsonObject chunk, int index) {
        io.vertx.core.json.JsonArray choices = chunk.getJsonArray("choices");
        if (choices != null) { // a Responses API chunk has no choices: it answers one
            choices.getJsonObject(0).put("index", index);
        }
        return chunk;
    }

    /** The reply to {@code req}: one JSON answer, or a server-sent-event stream, for all its choices. */
    static ChoicesReply of(io.vertx.core.http.HttpServerRequest request, ResponseShape shape, ResponseShape.Head head,
                           CompletionRequest req) {
        HttpServerResponse resp = request.response();
        return req.stream() ? new SseReply(resp, shape, head, req, request.version() == io.vertx.core.http.HttpVersion.HTTP_1_0)
                : new JsonReply(resp, shape, head, req);
    }


    /** Answers once with the whole completion: every choice, in index order. */
    private static final class JsonReply extends ChoicesReply {
        JsonReply(HttpServerResponse resp, ResponseShape shape, ResponseShape.Head head, CompletionRequest req) {
            super(resp, shape, head, req);
        }

        @Override
        void completed(int index, boolean last) {
            if (!last || !open(resp)) {
                return;
            }
            JsonObject answer = shape.completion(head(0), results[0], stats[0]);
            if (n() > 1) {
                io.vertx.core.json.JsonArray choices = new io.vertx.core.json.JsonArray();
                for (int i = 0; i < n(); i++) {
                    JsonObject one = i == 0 ? answer : shape.completion(head(i), results[i], stats[i]);
                    choices.add(one.getJsonArray("choices").getJsonObject(0).copy().put("index", i));
                }
                answer.put("choices", choices);
            }
            json(resp, 200, withUsage(answer));
        }

        @Override
        void writeError(ApiError e) {
            if (open(resp)) {
                error(resp, e);
            }
        }
    }

    /**
     * Writes the head on admission; then, per choice, the opening chunk with its first text (so a client timing
     * its first chunk times the first token, not the queue), each text delta as an event and its last chunk;
     * once every choice is done, with {@code include_usage} a usage chunk with no choices (OpenAI's), and
     * {@code [DONE]}. The last chunk of the last choice to finish carries the request's usage too, unless
     * {@code include_usage} moves it to a chunk of its own (and then every other chunk says {@code "usage": null},
     * as OpenAI's do). The shape writes each chunk as event text ({@link ResponseShape#sse}) and says how a stream
     * ends. HTTP/1.0 has no chunked encoding, so a 1.0 client (nginx proxies with 1.0 unless told otherwise) gets
     * the same events in one body with its length once the stream has ended.
     */
    private static final class SseReply extends ChoicesReply {
        private final boolean includeUsage;
        private final boolean[] opened;
        private final int[] textOffset;
        private final io.vertx.core.buffer.Buffer whole; // HTTP/1.0: the events so far; else null

        SseReply(HttpServerResponse resp, ResponseShape shape, ResponseShape.Head head, CompletionRequest req,
                 boolean http10) {
            super(resp, shape, head, req);
            this.includeUsage = req.includeUsage();
            this.opened = new boolean[n()];
            this.textOffset = new int[n()];
            this.whole = http10 ? io.vertx.core.buffer.Buffer.buffer() : null;
        }

        @Override
        void admitted() {
            writeHead();
        }

        @Override
        void tokens(int index, String textDelta, List<TokenLogprob> lps) {
            if ((!textDelta.isEmpty() || !lps.isEmpty()) && open(resp)) {
                JsonObject delta = shape.delta(head, index, textDelta, lps, textOffset[index]);
                if (delta != null) { // a shape may hold text back (tool calls come whole at the end)
                    event(index, delta);
                }
                textOffset[index] += CompletionLogprobsJson.textLength(lps);
            }
        }

        @Override
        void completed(int index, boolean last) {
            if (!open(resp)) {
                return;
            }
            JsonObject chunk = shape.last(head, index, results[index], stats[index]);
            if (includeUsage || !last) {
                chunk.remove("usage"); // a chunk of its own; with several choices, the last one's
            } else {
                withUsage(chunk); // every choice is done: the whole request's
            }
            event(index, chunk);
            if (last) {
                if (includeUsage) {
                    write(shape.usage(head, results[0]).put("usage", usage()));
                }
                end();
            }
        }

        /**
         * Refused before the stream began (a full queue, say): a plain HTTP error with its status and, for 429,
         * Retry-After, which the OpenAI clients retry; after it began, an error event and the stream's end.
         */
        @Override
        void writeError(ApiError e) {
            if (!open(resp)) {
                return;
            }
            if (!resp.headWritten()) {
                error(resp, e);
                return;
            }
            write(shape.streamError(head, e));
            end();
        }

        /** Writes the event-stream head once (on admission, or before the first event). */
        private void writeHead() {
            if (resp.headWritten() || !open(resp) || (whole != null && resp.headers().contains("X-Request-Id"))) {
                return;
            }
            if (whole == null) {
                resp.setChunked(true);
            }
            resp.putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                    .putHeader("X-Accel-Buffering", "no")
                    .putHeader("X-Request-Id", head.id());
            if (whole == null) {
                resp.writeHead();
            }
        }

        /** A chunk of choice {@code index}, after that choice's opening chunk (and echoed prompt) if it has not had them. */
        private void event(int index, JsonObject chunk) {
            writeHead();
            if (!opened[index]) {
                opened[index] = true;
                JsonObject opening = shape.opening(head);
                if (opening != null) {
                    write(indexed(opening, index));
                }
                String echo = head(index).echo();
                if (echo != null) { // the echoed prompt comes first, as vLLM streams it
                    write(indexed(shape.delta(head, index, echo, List.of(), 0), index));
                }
            }
            write(indexed(chunk, index));
        }

        private void write(JsonObject chunk) {
            if (includeUsage && !chunk.containsKey("usage")) {
                chunk.putNull("usage");
            }
            write(shape.sse(chunk));
        }

        private void write(String event) {
            if (whole != null) {
                whole.appendString(event);
            } else {
                resp.write(event);
            }
        }

        /** The shape's end-of-stream line, if it has one, then the end of the response. */
        private void end() {
            String end = shape.sseEnd();
            if (!end.isEmpty()) {
                write(end);
            }
            if (whole != null) {
                resp.end(whole);
            } else {
                resp.end();
            }
        }
    }
}
