package dev.specserve.controller.server;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every HTTP request's id and its one access line. The response's {@code X-Request-Id} is the client's own when it
 * sent a usable one (so the client's trace id comes back, as vLLM's request-id headers do), else the request's API
 * id ({@code cmpl-...}), and every response has one, refusals before parsing included. When the response ends or
 * its connection closes, one line on logger {@value #LOGGER}: method, path, status (499 when the connection closed
 * first: the client left, or the server cut it), milliseconds, ids, and for a generation its tokens, finish reasons
 * and times; probes at DEBUG. No prompt, output or Responses id (a handle to a stored conversation) is logged.
 */
final class AccessLog {
    static final String LOGGER = "dev.specserve.access";
    static final String HEADER = "X-Request-Id";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    private static final String KEY = AccessLog.class.getName();
    /** Visible ASCII: nothing that could split a header or a log line. */
    private static final Pattern CLIENT_ID = Pattern.compile("[\\x21-\\x7e]{1,128}");
    private static final Pattern RESPONSE_ID = Pattern.compile("resp_[A-Za-z0-9_-]+");
    private static final Set<String> PROBES = Set.of("/health", "/ready", "/metrics", "/version", "/health/",
            "/ready/", "/metrics/", "/version/");

    /** One request's ids and what it served, filled in by the route that answers it. */
    static final class Entry {
        private final long started = System.nanoTime();
        private final String clientId;
        private String id;
        private String engineId;
        private Supplier<String> outcome = () -> "";

        private Entry(String clientId) {
            this.clientId = clientId;
        }

        /** The request's id: the API's once a generation route named it, else one made for it. */
        String id() {
            if (id == null) {
                id = "req-" + UUID.randomUUID().toString().replace("-", "");
            }
            return id;
        }

        /**
         * A generation: its API id, the id its engine work and feedback go by where that differs, and what to log
         * of its outcome when it ends.
         */
        void generation(String apiId, String engineId, Supplier<String> outcome) {
            this.id = apiId;
            this.engineId = engineId.equals(apiId) ? null : engineId;
            this.outcome = outcome;
        }
    }

    private AccessLog() {
    }

    /**
     * {@code access_log} false: no access line from any API (the logger is turned off; true leaves the level logback
     * configured, so {@code SPECSERVE_LOG_LEVEL=warn} silences them too).
     */
    static void enable(boolean on) {
        if (!on && LOG instanceof ch.qos.logback.classic.Logger logback) {
            logback.setLevel(ch.qos.logback.classic.Level.OFF);
        }
    }

    /** The first handler of every route: the request's id and header, and its access line when it ends. */
    static Handler<RoutingContext> handler() {
        return ctx -> {
            String sent = ctx.request().getHeader(HEADER);
            Entry e = new Entry(sent != null && CLIENT_ID.matcher(sent).matches() && !RESPONSE_ID.matcher(sent).find()
                    ? sent : null);
            ctx.put(KEY, e);
            HttpServerResponse resp = ctx.response();
            boolean probe = PROBES.contains(ctx.request().path());
            ctx.addHeadersEndHandler(v -> {
                String set = resp.headers().get(HEADER);
                if (e.clientId != null) {
                    resp.headers().set(HEADER, e.clientId);
                } else if (set != null && RESPONSE_ID.matcher(set).find()) {
                    resp.headers().set(HEADER, e.id()); // a handle to a stored conversation: proxies log this header
                } else if (!probe && set == null) {
                    resp.headers().set(HEADER, e.id());
                }
            });
            ctx.addEndHandler(ended -> log(ctx, e, probe, ended.succeeded()));
            ctx.next();
        };
    }

    /** The request's entry (a handler mounted before {@link #handler} sees none: then a detached one). */
    static Entry entry(RoutingContext ctx) {
        Entry e = ctx.get(KEY);
        return e != null ? e : new Entry(null);
    }

    /**
     * What the access line says of a generation: its tokens (each prompt once, {@code perPrompt} choices each),
     * finish reasons and times, the choices not done, and how it failed.
     */
    static String summary(dev.specserve.runtime.spec.GenerationResult[] results,
                          dev.specserve.runtime.engine.RequestStats[] stats, int perPrompt, ApiError failure) {
        int prompt = 0;
        int completion = 0;
        int done = 0;
        java.util.Set<String> finishes = new java.util.TreeSet<>();
        dev.specserve.runtime.engine.RequestStats first = null;
        for (int i = 0; i < results.length; i++) {
            if (results[i] == null) {
                continue;
            }
            done++;
            prompt += i % perPrompt == 0 ? results[i].promptTokens() : 0;
            completion += results[i].tokens().length;
            finishes.add(results[i].finishReason().wire());
            first = first == null ? stats[i] : first;
        }
        StringBuilder b = new StringBuilder();
        if (done > 0) {
            b.append("prompt_tokens=").append(prompt).append(" completion_tokens=").append(completion)
                    .append(" finish=").append(String.join(",", finishes));
        }
        if (done < results.length) {
            b.append(b.isEmpty() ? "" : " ").append("choices_done=").append(done).append('/').append(results.length);
        }
        if (first != null) {
            b.append(" strategy=").append(first.strategy()).append(String.format(java.util.Locale.ROOT,
                    " queue_ms=%.1f ttft_ms=%.1f", first.queueNanos() / 1e6, first.timeToFirstTokenNanos() / 1e6));
        }
        if (failure != null) {
            b.append(" error=").append(failure.type()).append(" error_status=").append(failure.status());
        }
        return b.toString();
    }

    /**
     * The access line of an event-bus request: {@code BUS}, the address, the status it was answered with (200, or
     * the failure code), milliseconds since {@code startedNanos}, its id and {@code detail} ({@link #summary}).
     */
    static void bus(String address, String id, long startedNanos, int status, String detail) {
        if (LOG.isInfoEnabled()) {
            LOG.info("BUS {} {} {} ms id={}{}", address, status, (System.nanoTime() - startedNanos) / 1_000_000,
                    id == null ? "-" : id, detail.isEmpty() ? "" : " " + detail);
        }
    }

    /** The request as a fault's log line names it: method, path (as logged here) and id. */
    static String describe(RoutingContext ctx) {
        return ctx.request().method() + " " + loggable(ctx.request().path()) + " id=" + entry(ctx).id();
    }

    /**
     * {@code path} fit for a log line: at most 200 characters, only visible ASCII (a control or escape sequence a
     * client put in its path would reach the operator's terminal), and no Responses id (a handle that reads, continues
     * and deletes a stored conversation).
     */
    static String loggable(String path) {
        StringBuilder b = new StringBuilder(Math.min(path.length(), 200));
        for (int i = 0; i < path.length() && b.length() < 200; i++) {
            char c = path.charAt(i);
            b.append(c >= 0x21 && c <= 0x7e ? c : '?');
        }
        return RESPONSE_ID.matcher(b).replaceAll("resp_*");
    }

    private static void log(RoutingContext ctx, Entry e, boolean probe, boolean answered) {
        if (probe ? !LOG.isDebugEnabled() : !LOG.isInfoEnabled()) {
            return;
        }
        StringBuilder line = new StringBuilder(160).append(ctx.request().method()).append(' ')
                .append(loggable(ctx.request().path())).append(' ')
                .append(answered ? Integer.toString(ctx.response().getStatusCode()) : "499 (connection closed)")
                .append(' ').append((System.nanoTime() - e.started) / 1_000_000).append(" ms id=").append(e.id());
        if (e.clientId != null) {
            line.append(" client_id=").append(e.clientId);
        }
        if (e.engineId != null) {
            line.append(" engine_id=").append(e.engineId);
        }
        var remote = ctx.request().remoteAddress();
        if (remote != null) {
            line.append(" remote=").append(remote.hostAddress());
        }
        String outcome = e.outcome.get();
        if (!outcome.isEmpty()) {
            line.append(' ').append(outcome);
        }
        if (probe) {
            LOG.debug("{}", line);
        } else {
            LOG.info("{}", line);
        }
    }
}
