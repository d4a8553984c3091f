package dev.specserve.controller.server;

import static dev.specserve.controller.server.HttpReplies.error;
import static dev.specserve.controller.server.HttpReplies.json;
import static dev.specserve.controller.server.HttpReplies.open;

import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.TokenLogprob;
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
    private ApiError failure;
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

    /**
     * A choice left the queue and began (a stream writes its head now: a choice refused while queued, for its
     * queue timeout say, is then still a plain HTTP error with Retry-After, which clients retry).
     */
    void started() {}

    /** Answers with {@code e} unless an answer already went out or failed, and cancels the other choices. */
    void fail(ApiError e) {
        if (failed) {
            return;
        }
        failed = true;
        failure = e;
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
            public void onStarted() {
                if (!failed) {
                    started();
                }
            }

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
                fail(EngineErrors.answer(LOG, "request " + head.id() + " (choice " + index + ")", error));
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

    /** What the access line says of the request ({@link AccessLog#summary}). */
    String accessSummary() {
        return AccessLog.summary(results, stats, perPrompt, failure);
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
        return req.stream() ? new SseChoicesReply(resp, shape, head, req, request.version() == io.vertx.core.http.HttpVersion.HTTP_1_0)
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
            json(resp.putHeader("X-Request-Id", head.id()), 200, withUsage(answer));
        }

        @Override
        void writeError(ApiError e) {
            if (open(resp)) {
                error(resp.headWritten() ? resp : resp.putHeader("X-Request-Id", head.id()), e);
            }
        }
    }
}
