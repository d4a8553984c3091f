package dev.specserve.controller.server;

import static dev.specserve.controller.server.HttpReplies.error;
import static dev.specserve.controller.server.HttpReplies.json;
import static dev.specserve.controller.server.JsonFields.typeName;

import dev.specserve.runtime.engine.GenerationService;
import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * vLLM's tokenizer routes, which clients use to count and build token prompts (lm-evaluation-harness's remote
 * tokenizer uses all three): {@code POST /tokenize} ({@code prompt}, or chat {@code messages} rendered by the
 * model's template; {@code add_special_tokens}, default true) answers {@code count}, {@code max_model_len} and
 * {@code tokens}; {@code POST /detokenize} ({@code tokens}) answers {@code prompt}; {@code GET /tokenizer_info}
 * the special tokens and the chat template. They run on a worker (a long text takes a while to tokenize), sit
 * behind the API key as {@code /v1/*} does, and count refusals in {@code specserve_requests_rejected_total}.
 */
final class HttpTokenRoutes {
    /** Longest text {@code /tokenize} takes, in characters: enough for any prompt that fits a large context. */
    static final int MAX_CHARS = 256 * 1024;

    private final Vertx vertx;
    private final Completions completions;
    private final GenerationService engine;

    HttpTokenRoutes(Vertx vertx, Completions completions) {
        this.vertx = vertx;
        this.completions = completions;
        this.engine = completions.engine();
    }

    void mount(Router router, long bodyLimit) {
        for (String path : new String[] {"/tokenize", "/detokenize"}) { // a body of JSON, at most bodyLimit bytes
            router.post(path).handler(ctx -> HttpGuards.requireJson(ctx, completions::rejected));
            router.post(path).handler(BodyHandler.create(false).setBodyLimit(bodyLimit))
                    .handler(RequestBodies.decoder(bodyLimit, completions::rejected));
        }
        router.post("/tokenize").handler(ctx -> answer(ctx, this::tokenize));
        router.post("/detokenize").handler(ctx -> answer(ctx, this::detokenize));
        router.route("/tokenizer_info").method(io.vertx.core.http.HttpMethod.GET).method(io.vertx.core.http.HttpMethod.HEAD).handler(ctx -> json(ctx.response(), 200, info()));
    }

    /**
     * What a client needs to tokenize as the server does: the EOS token (text and the ids that end generation),
     * the special tokens of {@code tokenizer_config.json}, the chat template (null when none compiled) and the
     * context length.
     */
    JsonObject info() {
        int[] eos = engine.vocabulary().eosIds();
        JsonObject info = new JsonObject();
        completions.chatTemplate().specialTokens().forEach(info::put);
        JsonArray eosIds = new JsonArray();
        for (int id : eos) {
            eosIds.add(id);
        }
        return info.put("eos_token", engine.vocabulary().tokenText(eos[0])).put("eos_token_ids", eosIds)
                .put("chat_template", completions.chatTemplate().text().orElse(null))
                .put("model_max_length", engine.contextLength()).put("vocab_size", engine.vocabulary().size());
    }

    private void answer(RoutingContext ctx, java.util.function.Function<JsonObject, JsonObject> work) {
        String body = RequestBodies.text(ctx);
        ServedModel served = completions.served();
        completions.onWorker(vertx, () -> work.apply(served.named(CompletionRequestParser.object(body))))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        json(ctx.response(), 200, ar.result());
                    } else {
                        ApiError e = ApiError.from(ar.cause());
                        if (e.status() < 500) {
                            completions.rejected(e); // counted as every refused request is
                        }
                        error(ctx.response(), e);
                    }
                });
    }

    private JsonObject tokenize(JsonObject json) {
        String text;
        if (json.getValue("messages") != null) {
            if (json.getValue("prompt") != null) {
                throw new InvalidRequestException("prompt", "send prompt or messages, not both");
            }
            text = completions.renderChat(json);
        } else if (json.getValue("prompt") instanceof String s) {
            text = s;
        } else {
            throw new InvalidRequestException("prompt", json.getValue("prompt") == null
                    ? "prompt (a string) or messages is required" : "prompt must be a string, got "
                    + typeName(json.getValue("prompt")));
        }
        if (text.length() > MAX_CHARS) {
            throw new InvalidRequestException("prompt", "prompt of " + text.length() + " characters is over the "
                    + MAX_CHARS + " this route tokenizes");
        }
        boolean special = json.getValue("add_special_tokens") == null || JsonFields.bool(json, "add_special_tokens");
        int[] ids = engine.vocabulary().tokenize(text, special);
        JsonArray tokens = new JsonArray();
        for (int id : ids) {
            tokens.add(id);
        }
        return new JsonObject().put("count", ids.length).put("max_model_len", engine.contextLength())
                .put("tokens", tokens);
    }

    private JsonObject detokenize(JsonObject json) {
        if (!(json.getValue("tokens") instanceof JsonArray a)) {
            throw new InvalidRequestException("tokens", "tokens (an array of token ids) is required, got "
                    + typeName(json.getValue("tokens")));
        }
        if (a.size() > MAX_CHARS) {
            throw new InvalidRequestException("tokens", a.size() + " tokens are over the " + MAX_CHARS
                    + " this route decodes");
        }
        int[] ids = new int[a.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!(a.getValue(i) instanceof Integer id)) {
                throw new InvalidRequestException("tokens", "tokens must hold token ids; element " + i + " is "
                        + a.getValue(i));
            }
            ids[i] = id;
        }
        return new JsonObject().put("prompt", engine.vocabulary().detokenize(ids));
    }
}
