package dev.specserve.controller.server;

import dev.specserve.controller.config.ServerConfig;
import dev.specserve.runtime.engine.GenerationService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.specserve.controller.server.HttpReplies.error;
import static dev.specserve.controller.server.HttpReplies.json;
import static dev.specserve.controller.server.HttpReplies.open;

/**
 * The HTTP API (event-loop verticle):
 * <ul>
 *   <li>{@code POST /v1/completions}: OpenAI completions; {@code stream: true} answers with server-sent events,
 *       {@code data: {chunk}} per text delta and {@code data: [DONE]} last. A client that disconnects cancels its
 *       generation.</li>
 *   <li>{@code POST /v1/chat/completions}: OpenAI chat completions, the same parameters, limits, admission and
 *       streaming (chunks of {@code chat.completion.chunk}, the first one carrying {@code role: assistant});
 *       the messages are formatted by the model's {@link ChatTemplate}, and a model without one answers 400.</li>
 *   <li>{@code /v1/responses}: OpenAI's Responses API, served as the chat completion its input amounts to
 *       ({@link ResponsesRequestParser}), streamed as named events; stored ones ({@link HttpResponseStoreRoutes}).</li>
 *   <li>{@code GET /v1/models}, {@code GET /health} (liveness), {@code GET /ready} (503 until the engine is
 *       ready), {@code GET /metrics} (Prometheus text), {@code GET /version}.</li>
 *   <li>{@code POST /tokenize}, {@code /detokenize} and {@code GET /tokenizer_info}, as vLLM's ({@link HttpTokenRoutes}).</li>
 *   <li>{@code /admin/*} for operators ({@link HttpAdminRoutes}).</li>
 * </ul>
 * Errors are JSON {@code {"error":{"message","type","param","code"}}}: 400 invalid request (param names the
 * field; {@code body} for an unparsable body), 404, 405 (with {@code Allow}), 413 (a body over {@link #BODY_LIMIT},
 * gzip or deflate bodies counted inflated), 415 (a JSON POST without
 * {@code Content-Type: application/json}), 429 queue full, 500 internal; 401 on {@code /v1/*} and the tokenizer
 * routes without a key
 * when {@code api_key} is set, 403 for a Host outside {@code allowed_hosts}. CORS headers only for the origins in
 * {@code cors_origins} (see {@link HttpGuards}).
 */
public final class HttpApiVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApiVerticle.class);
    /** Largest accepted request body. */
    public static final long BODY_LIMIT = 1 << 20;

    private final ServerConfig config;
    private final AdminGate admin;
    private final Completions completions;
    private final GenerationService engine;
    private final PrometheusMeterRegistry registry;
    private HttpServer server;

    HttpApiVerticle(ServerConfig config, Completions completions, PrometheusMeterRegistry registry, AdminGate admin) {
        this.config = config;
        this.admin = admin;
        this.completions = completions;
        this.engine = completions.engine();
        this.registry = registry;
    }

    /** The bound port (differs from the configured one when that was 0). */
    public int actualPort() {
        return server.actualPort();
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        router.route().handler(AccessLog.handler());
        var security = config.security();
        java.util.Set<String> hosts = HttpGuards.allowedHosts(security.allowedHosts(), config.httpHost());
        SlowRequestGuard slow = new SlowRequestGuard(
                java.util.concurrent.TimeUnit.SECONDS.toNanos(security.httpRequestReadTimeoutS()), refused("slow_request"));
        router.route().handler(slow::requestStarted);
        router.route().handler(HttpGuards.hostCheck(hosts, refused("host")));
        if (!security.corsOrigins().isEmpty()) {
            router.route().handler(ctx -> { // the allowed origin is echoed: a shared cache must key on it
                ctx.response().putHeader(HttpHeaders.VARY, "Origin");
                ctx.next();
            });
            router.route().handler(HttpGuards.cors(security.corsOrigins()));
        }
        if (!security.apiKeys().isEmpty()) {
            for (String guarded : new String[] {"/v1/*", "/tokenize", "/detokenize", "/tokenizer_info"}) {
                router.route(guarded).handler(HttpGuards.apiKey(security.apiKeys(), refused("api_key")));
            }
        }
        generation(router, "/v1/completions", body -> new Generation(completions.parse(body), CompletionJson.TEXT),
                INLINE_PARSE_BYTES);
        generation(router, "/v1/chat/completions", body -> chat(completions.parseChat(body)), 0);
        generation(router, "/v1/responses", body -> responses(completions.parseResponses(body)), 0);
        new HttpResponseStoreRoutes(completions.responseStore()).mount(router);
        new HttpTokenRoutes(vertx, completions).mount(router, BODY_LIMIT);
        // HEAD wherever GET answers (HTTP says so; monitors and proxies probe with it): the same handlers, and
        // Vert.x writes the head without the body
        for (HttpMethod m : new HttpMethod[] {HttpMethod.GET, HttpMethod.HEAD}) {
            router.route(m, "/v1/models").handler(this::models);
            router.route(m, "/v1/models/:id").handler(this::model);
            router.route(m, "/metrics").handler(this::metrics);
        }
        // liveness: 503 once the engine thread has died (nothing would ever be served again), so a probe restarts it
        router.get("/health").handler(ctx -> json(ctx.response(), engine.failed() ? 503 : 200,
                new JsonObject().put("status", engine.failed() ? "engine stopped" : "ok")));
        router.head("/health").handler(ctx -> ctx.response().setStatusCode(engine.failed() ? 503 : 200).end());
        router.get("/ready").handler(this::ready);
        router.head("/ready").handler(ctx -> ctx.response().setStatusCode(engine.ready() ? 200 : 503).end());
        router.route("/version").method(io.vertx.core.http.HttpMethod.GET).method(io.vertx.core.http.HttpMethod.HEAD).handler(ctx -> json(ctx.response(), 200, new JsonObject()
                .put("version", BuildInfo.current().version()).put("commit", BuildInfo.current().commit())));
        new HttpAdminRoutes(admin, config).mount(router);
        router.route().failureHandler(this::failure);
        router.errorHandler(404, ctx -> error(ctx.response(), new ApiError(404,
                "no route for " + ctx.request().method() + " " + ctx.request().path(), "not_found_error", null)));
        router.errorHandler(405, ctx -> error(ctx.response().putHeader(HttpHeaders.ALLOW, AllowedMethods.on(router, ctx.normalizedPath())),
                new ApiError(405, ctx.request().method() + " is not allowed on " + ctx.request().path(),
                        "invalid_request_error", null)));
        HttpServerOptions options = new HttpServerOptions().setHost(config.httpHost()).setPort(config.httpPort())
                // no decompression here: RequestBodies inflates bodies, answering one that does not inflate
                .setCompressionSupported(false).setIdleTimeout(security.httpIdleTimeoutS())
                .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS)
                // no h2c: it holds a connection back from the connection handler until a request's headers are
                // whole, which would hide a slowly-sent one from the SlowRequestGuard (the API speaks HTTP/1.1)
                .setHttp2ClearTextEnabled(false);
        if (security.tls()) {
            options.setSsl(true).setKeyCertOptions(Tls.keyCert(vertx, security));
        }
        server = vertx.createHttpServer(options).connectionHandler(slow::opened);
        slow.start(vertx);
        String access = (security.apiKeys().isEmpty() ? "no API key" : "API key required on /v1/*") + ", answering "
                + (hosts.contains("*") ? "any Host" : "Host " + String.join(", ", new java.util.TreeSet<>(hosts)));
        return server.requestHandler(router).listen()
                .onSuccess(s -> LOG.info("HTTP API listening on {}://{}:{} ({})", security.tls() ? "https" : "http",
                        config.httpHost().contains(":") && !config.httpHost().startsWith("[") // an IPv6 literal
                                ? "[" + config.httpHost() + "]" : config.httpHost(), s.actualPort(), access));
    }

    /** Counts one request the guards refused, by reason ({@code specserve_http_refused_total}). */
    private Runnable refused(String reason) {
        var counter = io.micrometer.core.instrument.Counter.builder("specserve.http.refused")
                .description("HTTP requests refused before routing: a Host not in allowed_hosts, or /v1/* without a valid API key")
                .tag("reason", reason).register(registry);
        return counter::increment;
    }

    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    // ---- /v1/completions, /v1/chat/completions and /v1/responses ----

    /** Bodies larger than this are decoded and parsed on a worker thread, not the event loop. */
    static final int INLINE_PARSE_BYTES = 16 * 1024;

    /** A parsed request and the shape its answer takes (per request: a stream's shape may hold its state). */
    private record Generation(CompletionRequest request, ResponseShape shape, UnaryOperator<ApiError> refusal) {
        Generation(CompletionRequest request, ResponseShape shape) {
            this(request, shape, shape::refusal);
        }
    }

    /** A chat request answers in the chat shape, or in a tool-call shape when it calls tools. */
    private static Generation chat(ChatRequestParser.Parsed parsed) {
        CompletionRequest req = parsed.request();
        ToolCalls tools = req.toolCalls();
        ResponseShape shape = tools != null && tools.calls() ? ToolCallsJson.of(tools)
                : tools != null && tools.auto() ? AutoToolCallsJson.of(tools) : ChatJson.CHAT;
        return new Generation(req, shape, e -> parsed.named(shape.refusal(tools == null ? e : ToolSchemas.inToolTerms(tools, e))));
    }

    private Generation responses(ResponsesRequestParser.Parsed parsed) {
        ToolCalls tools = parsed.request().toolCalls();
        ResponseShape shape = ResponsesJson.of(parsed, completions.responseStore());
        return new Generation(parsed.request(), shape,
                e -> shape.refusal(tools == null ? e : ToolSchemas.inToolTerms(tools, e)));
    }

    /** {@code POST path}: a JSON body of at most {@link #BODY_LIMIT} bytes, answered by {@link #generate}. */
    private void generation(Router router, String path, java.util.function.Function<String, Generation> parse,
                            int inlineBytes) {
        router.post(path).handler(ctx -> HttpGuards.requireJson(ctx, completions::rejected)); // before the body is read
        router.post(path).handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT))
                .handler(RequestBodies.decoder(BODY_LIMIT, completions::rejected))
                .handler(ctx -> generate(ctx, parse, inlineBytes));
    }

    /**
     * Parses the body with {@code parse}, then submits it and answers in its shape. Bodies over
     * {@code inlineBytes} are parsed on a worker: decoding a large body, or rendering a chat template (an
     * interpreter walk, whatever the body's size), would hold up the event loop.
     */
    private void generate(RoutingContext ctx, java.util.function.Function<String, Generation> parse, int inlineBytes) {
        HttpServerResponse resp = ctx.response();
        io.vertx.core.buffer.Buffer body = RequestBodies.buffer(ctx);
        if (body != null && body.length() > inlineBytes) {
            completions.onWorker(vertx, () -> parse.apply(body.toString(StandardCharsets.UTF_8)))
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            error(resp, ApiError.from(ar.cause(), AccessLog.describe(ctx)));
                            return;
                        }
                        try { // off the router here: a throw would reach no failure handler, and nobody would answer
                            submit(ctx, ar.result());
                        } catch (RuntimeException e) {
                            error(resp, ApiError.from(e, AccessLog.describe(ctx)));
                        }
                    });
            return;
        }
        Generation generation;
        try {
            generation = parse.apply(RequestBodies.text(ctx));
        } catch (RuntimeException e) {
            error(resp, ApiError.from(e, AccessLog.describe(ctx)));
            return;
        }
        submit(ctx, generation);
    }

    /** Submits the request's choices, answering in its shape; a client that disconnects cancels them all. */
    private void submit(RoutingContext ctx, Generation generation) {
        HttpServerResponse resp = ctx.response();
        if (resp.closed()) { // gone while its body was parsed on a worker: nothing would cancel the generation
            completions.rejected(ApiError.clientClosed());
            return;
        }
        CompletionRequest req = generation.request();
        ResponseShape shape = generation.shape();
        String id = Completions.newRequestId(shape.idPrefix());
        ResponseShape.Head head = new ResponseShape.Head(id, System.currentTimeMillis() / 1000, completions.served().name());
        ChoicesReply reply = ChoicesReply.of(ctx.request(), shape, head, req);
        String requestId = shape.idIsHandle() ? Completions.newRequestId("req-") : id; // what telemetry may publish
        // a Responses id is a handle to the stored conversation: the log knows the request by its engine id only
        AccessLog.entry(ctx).generation(shape.idIsHandle() ? requestId : id, requestId, reply::accessSummary);
        Runnable cancel = completions.submitChoices(req, requestId, vertx.getOrCreateContext(), reply, generation.refusal());
        if (open(resp)) { // a refusal on submission (a prompt too long, say) has answered already: nothing to cancel
            resp.closeHandler(v -> {
                LOG.debug("client of {} disconnected; cancelling", requestId);
                cancel.run();
            });
        }
    }

    // ---- other routes ----

    private void models(RoutingContext ctx) {
        JsonArray data = new JsonArray();
        completions.served().names().forEach(name -> data.add(modelObject(name)));
        json(ctx.response(), 200, new JsonObject().put("object", "list").put("data", data));
    }

    /** {@code GET /v1/models/{id}}: a served model, or 404 (param {@code model}) for any other id (OpenAI's retrieve). */
    private void model(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!completions.served().names().contains(id)) {
            error(ctx.response(), ApiError.from(new ModelNotFoundException(id, completions.served().names())));
            return;
        }
        json(ctx.response(), 200, modelObject(id));
    }

    /** When this server started, as {@code /v1/models} reports a model's {@code created} time (as vLLM does). */
    private static final long STARTED_S = System.currentTimeMillis() / 1000;

    private JsonObject modelObject(String name) {
        return new JsonObject()
                .put("id", name)
                .put("object", "model")
                .put("created", STARTED_S)
                .put("owned_by", "specserve")
                .put("root", engine.modelName())
                .put("max_model_len", engine.contextLength())
                .put("strategies", new JsonArray(engine.strategies()))
                .put("default_strategy", engine.defaultStrategy())
                .put("specserve_version", BuildInfo.current().version())
                .put("specserve_commit", BuildInfo.current().commit());
    }

    private void ready(RoutingContext ctx) {
        boolean ready = engine.ready();
        String status = ready ? "ready" : engine.stopping() ? "stopping" : engine.failed() ? "engine stopped" : "loading";
        json(ctx.response(), ready ? 200 : 503, new JsonObject().put("status", status)
                .put("running", engine.running()).put("waiting", engine.waiting()));
    }

    private void metrics(RoutingContext ctx) {
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                .end(registry.scrape());
    }

    private void failure(RoutingContext ctx) {
        HttpServerResponse resp = ctx.response();
        if (!open(resp)) {
            return;
        }
        ApiError e;
        if (ctx.statusCode() == 413) {
            boolean admin = ctx.request().path().startsWith("/admin/");
            e = new ApiError(413, "request body exceeds " + (admin ? HttpAdminRoutes.BODY_LIMIT : BODY_LIMIT) + " bytes",
                    "invalid_request_error", "body");
            if (!admin) { // an admin call is no completion request: not counted as a refused one
                completions.rejected(e);
            }
            resp.putHeader(HttpHeaders.CONNECTION, "close");
        } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) { // e.g. 403 from the CORS handler
            e = new ApiError(ctx.statusCode(), ctx.failure() != null && ctx.failure().getMessage() != null
                    ? ctx.failure().getMessage() : "request refused with status " + ctx.statusCode(),
                    "invalid_request_error", null);
        } else if (ctx.failure() != null) {
            e = ApiError.from(ctx.failure(), AccessLog.describe(ctx));
        } else {
            int status = ctx.statusCode() < 400 ? 500 : ctx.statusCode();
            e = new ApiError(status, "request failed with status " + status,
                    status < 500 ? "invalid_request_error" : "internal_error", null);
        }
        error(resp, e);
    }
}
