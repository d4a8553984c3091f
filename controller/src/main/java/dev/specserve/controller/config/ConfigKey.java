package dev.specserve.controller.config;

import java.util.Locale;

/**
 * Every setting of {@code specserve serve}: its JSON key in the config file, its environment variable, its
 * command-line flag, its default and what it means. {@link ConfigLoader} resolves each one with the precedence
 * flag &gt; environment &gt; file &gt; default; {@code serve --help} and controller/CONFIG.md print this table.
 */
public enum ConfigKey {
    HTTP_HOST("http_host", Type.STRING, "127.0.0.1", "Interface the HTTP API binds (0.0.0.0 exposes it to the network)."),
    HTTP_PORT("http_port", Type.PORT, "8000", "HTTP API port (0 picks a free port)."),
    BRIDGE_HOST("bridge_host", Type.STRING, "127.0.0.1", "Interface the TCP event-bus bridge binds."),
    BRIDGE_PORT("bridge_port", Type.PORT, "7000", "TCP event-bus bridge port (0 disables the bridge)."),
    MAX_BATCH("max_batch", Type.POSITIVE_INT, "8", "Sequences verified together in one target forward."),
    QUEUE_CAPACITY("queue_capacity", Type.NON_NEGATIVE_INT, "64",
            "Requests waiting beyond the running batch; more are refused with 429."),
    MAX_TOKENS_LIMIT("max_tokens_limit", Type.NON_NEGATIVE_INT, "0", "Largest max_tokens a request may ask for; 0: "
            + "as many as the model's context holds after the prompt, as vLLM allows (a chat request without "
            + "max_tokens gets the rest of the context)."),
    MAX_MODEL_LEN("max_model_len", Type.NON_NEGATIVE_INT, "0",
            "Context served per request, prompt plus output (0: the model's context_length). Every batch slot reserves "
                    + "its KV cache for this many tokens up front, so a model trained for 32k or 128k positions needs it "
                    + "capped to fit memory; more than the model's own is refused."),
    STRATEGY("strategy", Type.STRING, "auto",
            "Default drafting strategy: auto (goodput planner over suffix lookup and SpecBlock), specblock (SpecBlock "
                    + "alone under the planner), or for ablation none, ngram, suffix, eagle, specblock-static, "
                    + "specblock-fixed, hybrid."),
    REQUEST_TIMEOUT_MS("request_timeout_ms", Type.NON_NEGATIVE_LONG, "120000",
            "Per-request timeout in ms, the queue wait included (0 = none): a request still queued at half of it "
                    + "is refused with 503 queue_timeout (counted, Retry-After) rather than started only to be cut "
                    + "short; one running at the end finishes as timeout."),
    PREFIX_CACHE_BYTES("prefix_cache_bytes", Type.NON_NEGATIVE_LONG, "268435456",
            "Prefix (KV) cache capacity in bytes (0 disables it); off-heap, reserved in the background once a first prompt is cached."),
    PREFILL_CHUNK_TOKENS("prefill_chunk_tokens", Type.POSITIVE_INT, "256",
            "Prompt tokens prefilled per round while other requests are decoding (chunked prefill): smaller keeps "
                    + "their inter-token latency steadier while long prompts arrive, larger admits them sooner."),
    PREFILL_OVERLAP("prefill_overlap", Type.BOOLEAN, "false",
            "Prefill those chunks on a second thread while the round runs (each sized to take about a round, at most "
                    + "prefill_chunk_tokens), so admitting a prompt uses another core instead of stalling the running "
                    + "streams; false prefills between rounds on the scheduler thread."),
    LOOKUP_CORPUS("lookup_corpus", Type.BOOLEAN, "true",
            "The lookup strategies (suffix, hybrid, auto) also draft from the model's lookup corpus when its manifest "
                    + "ships one (the target's own continuations of training text, built by 'specserve lookup-corpus'); "
                    + "false: only from the request's own text and earlier outputs."),
    ACCESS_LOG("access_log", Type.BOOLEAN, "true",
            "One INFO line per HTTP request when it ends (logger dev.specserve.access): method, path, status, time, "
                    + "the request's id and the client's X-Request-Id, tokens, finish reason, time to first token; "
                    + "health, readiness and metrics probes at DEBUG. false: none."),
    LOG_STATS_INTERVAL_S("log_stats_interval_s", Type.NON_NEGATIVE_INT, "10",
            "Seconds between the engine's load lines in the log (prompt and generation tokens/s, running and waiting "
                    + "requests, prefix-cache hits, accepted draft tokens, refusals), written only when something ran; "
                    + "0: none."),
    SHUTDOWN_DRAIN_S("shutdown_drain_s", Type.NON_NEGATIVE_INT, "0",
            "On SIGTERM, seconds to let running and queued requests finish before cancelling the rest: /ready answers "
                    + "503 and new requests get 503 meanwhile (0: cancel at once; keep it under the orchestrator's "
                    + "grace period, which docker-compose sets to 30 s)."),
    STREAM_CONSUMER_TIMEOUT_MS("stream_consumer_timeout_ms", Type.POSITIVE_LONG, "2000",
            "Event-bus streaming: cancel (and count in specserve_bridge_streams_unclaimed_total) when no consumer is "
                    + "registered at the stream address within this time of the reply that names it (a client registers "
                    + "one round trip after it)."),
    BRIDGE_MAX_FRAME_BYTES("bridge_max_frame_bytes", Type.POSITIVE_INT, "1048576",
            "Largest TCP-bridge frame (JSON bytes after the 4-byte length); a larger one closes that connection."),
    ADMIN_TOKEN("admin_token", Type.STRING, null,
            "Bearer token for /admin/* (unset: the admin routes answer 404)."),
    API_KEY("api_key", Type.STRING, null,
            "Comma-separated bearer keys for /v1/* (Authorization: Bearer <key>; several allow rotation), as vLLM's "
                    + "--api-key, and for generations over the TCP bridge (the frame's headers.Authorization); unset: "
                    + "none needed. /health, /ready and /metrics stay open."),
    ALLOWED_HOSTS("allowed_hosts", Type.STRING, null,
            "Comma-separated Host header names the HTTP API answers, any port, '*' for any (unset: the loopback names "
                    + "localhost, 127.0.0.1 and ::1 when http_host is a loopback address, else any): a web page that "
                    + "rebinds its own domain to this address gets 403 instead of the API. /health, /ready and /metrics "
                    + "answer any Host."),
    HTTP_IDLE_TIMEOUT_S("http_idle_timeout_s", Type.NON_NEGATIVE_INT, "300",
            "Seconds an HTTP connection may send and receive nothing before the server closes it (0: never), so "
                    + "half-sent requests cannot hold connections open; keep it above request_timeout_ms, which a "
                    + "non-streamed request may wait in silence."),
    HTTP_REQUEST_READ_TIMEOUT_S("http_request_read_timeout_s", Type.POSITIVE_INT, "60",
            "Seconds a client may take to send a request's headers and body, and a kept-alive connection may wait "
                    + "for its next request; a slower connection is closed, so requests sent a byte at a time cannot "
                    + "hold connections open (the idle timeout restarts at every byte)."),
    MODEL_ROOTS("model_roots", Type.STRING, null,
            "Comma-separated directories admin 'load' may open drafter files from (unset: the models directory)."),
    CORS_ORIGINS("cors_origins", Type.STRING, null,
            "Comma-separated browser origins allowed by CORS, e.g. https://app.example (unset: no CORS headers)."),
    TLS_CERT_FILE("tls_cert_file", Type.STRING, null,
            "PEM certificate (chain) to serve HTTPS and a TLS event-bus bridge with, as vLLM's --ssl-certfile; needs "
                    + "tls_key_file (unset: plain HTTP and TCP)."),
    TLS_KEY_FILE("tls_key_file", Type.STRING, null,
            "PEM private key (PKCS#8 or PKCS#1, unencrypted) of tls_cert_file, as vLLM's --ssl-keyfile."),
    KAFKA_BOOTSTRAP("kafka_bootstrap", Type.STRING, null,
            "Kafka bootstrap servers for round feedback; unset or 'embedded': an in-process KRaft broker; 'none': no feedback."),
    ADAPTATION("adaptation", Type.ADAPTATION, "local",
            "Who adapts the drafter: local (this process trains and swaps, and in a fleet publishes what it swaps in), "
                    + "follow (only apply the versions a 'specserve trainer' publishes) or off (neither)."),
    ADAPTATION_EPOCH_S("adaptation_epoch_s", Type.POSITIVE_INT, "10",
            "Seconds between the bandit's update decisions."),
    ADAPTATION_HORIZON_S("adaptation_horizon_s", Type.POSITIVE_INT, "300",
            "Seconds a drafter improvement is credited for when the bandit weighs an update against its cost."),
    ADAPTATION_TRAINING_THREADS("adaptation_training_threads", Type.POSITIVE_INT, "1",
            "Threads one adapter update's training uses (each gradient batch is split across them); updates run one "
            + "at a time on their own thread, off the decision timer."),
    ROLLBACK_MARGIN("rollback_margin", Type.FRACTION, "0.15",
            "Roll a swap back when live mean accepted length falls this far below the pre-swap level."),
    ROLLBACK_WINDOW_ROUNDS("rollback_window_rounds", Type.POSITIVE_INT, "64",
            "Rounds after a swap over which the rollback guard compares live acceptance."),
    MODELS("models", Type.STRING, null, "Model directory with manifest.json (unset: the bundled demo pair, models/demo)."),
    SERVED_MODEL_NAME("served_model_name", Type.STRING, null,
            "Comma-separated names the APIs serve the model under, as vLLM's --served-model-name; the first is the one "
                    + "responses report (unset: the manifest's name). A request naming any other model gets 404 naming "
                    + "model; one naming none is served."),
    TOOL_CALL_PARSER("tool_call_parser", Type.TOOL_CALL_PARSER, "auto",
            "How the model writes tool calls in its text, for chat requests with tool_choice \"auto\" (the default "
                    + "with tools), as vLLM's --tool-call-parser: hermes (<tool_call>{\"name\", \"arguments\"}"
                    + "</tool_call>, as Qwen 2-3 and Hermes models write), llama3_json (an answer of {\"name\", "
                    + "\"parameters\"} objects, as Llama 3.1-3.3 write), mistral ([TOOL_CALLS] then the calls, as Mistral "
                    + "models write), none (such requests get 400), or auto: the "
                    + "one the model's chat template shows, else none."),
    DEVICE("device", Type.DEVICE, "auto", "Execution provider: auto (CUDA if it works, else CPU), cuda or cpu."),
    DRAFTER_PRECISION("drafter_precision", Type.DRAFTER_PRECISION, "auto",
            "Which drafter file serves: auto (the manifest's int8 drafter on the CPU provider, where a drafter call is "
                    + "bound by re-reading its weights after each target forward; the full-precision one otherwise), "
                    + "fp32 or int8. Output is exact either way; only the drafts may differ."),
    THREADS("threads", Type.THREADS, "auto",
            "ONNX Runtime intra-op threads per session; auto leaves one core for the event loops and the Java side of "
                    + "each round (one less than the cores, at least 1)."),
    PREFILL_THREADS("prefill_threads", Type.PREFILL_THREADS, "auto",
            "ONNX Runtime intra-op threads for prefill chunks (forwards of 64 rows or more), in a session of their own "
                    + "when this exceeds threads; auto is every core: a chunk's large products finish sooner on a second "
                    + "core, where a decode step's small ones do not. With prefill_overlap the chunks keep threads."),
    CLUSTER("cluster", Type.BOOLEAN, "false",
            "Join a clustered Vert.x event bus (Hazelcast), so Vert.x services in other JVMs reach specserve.generate and replicas share it."),
    CLUSTER_NAME("cluster_name", Type.STRING, "specserve", "Cluster name: only members with the same name join each other."),
    CLUSTER_HOST("cluster_host", Type.STRING, "127.0.0.1",
            "Interface the cluster manager and the clustered event bus bind (loopback by default: nothing is exposed by accident)."),
    CLUSTER_PORT("cluster_port", Type.PORT, "5701",
            "Cluster-manager (Hazelcast) port; the next free port is taken when it is busy."),
    CLUSTER_BUS_PORT("cluster_bus_port", Type.PORT, "0", "Clustered event-bus TCP port (0 picks a free port)."),
    CLUSTER_MEMBERS("cluster_members", Type.STRING, "127.0.0.1",
            "Discovery: comma-separated host[:port] members to contact over TCP-IP, or 'multicast'."),
    CLUSTER_ADMIN("cluster_admin", Type.BOOLEAN, "false",
            "Serve specserve.admin to the whole cluster (off: local to this replica, so the admin token never crosses the cluster).");

    /** Value types with their parsing rule, described in errors. */
    public enum Type {
        STRING("a non-empty string"),
        PORT("an integer in [0, 65535]"),
        POSITIVE_INT("an integer >= 1"),
        NON_NEGATIVE_INT("an integer >= 0"),
        POSITIVE_LONG("an integer >= 1"),
        NON_NEGATIVE_LONG("an integer >= 0"),
        FRACTION("a number in [0, 1]"),
        THREADS(dev.specserve.runtime.ort.IntraOpThreads.EXPECTATION),
        PREFILL_THREADS("auto (every core) or an integer >= 1"),
        BOOLEAN("true or false"),
        DEVICE("one of auto, cuda, cpu", "auto", "cuda", "cpu"),
        DRAFTER_PRECISION(dev.specserve.runtime.manifest.DrafterPrecision.CHOICES, "auto", "fp32", "int8"),
        ADAPTATION("one of local, follow, off", "local", "follow", "off"),
        TOOL_CALL_PARSER("one of auto, hermes, llama3_json, mistral, none", "auto", "hermes", "llama3_json", "mistral",
                "none");

        private final String expectation;
        private final java.util.List<String> choices;

        Type(String expectation, String... choices) {
            this.expectation = expectation;
            this.choices = java.util.List.of(choices);
        }

        public String expectation() {
            return expectation;
        }

        /** The only values a setting of this type takes (lower case), or empty when it is not a choice. */
        public java.util.List<String> choices() {
            return choices;
        }
    }

    private final String key;
    private final Type type;
    private final String defaultValue;
    private final String description;

    ConfigKey(String key, Type type, String defaultValue, String description) {
        this.key = key;
        this.type = type;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    /** The key in the JSON config file, e.g. {@code http_port}. */
    public String key() {
        return key;
    }

    /** The environment variable, e.g. {@code SPECSERVE_HTTP_PORT}. */
    public String env() {
        return "SPECSERVE_" + key.toUpperCase(Locale.ROOT);
    }

    /** The command-line flag, e.g. {@code --http-port}. */
    public String flag() {
        return "--" + key.replace('_', '-');
    }

    public Type type() {
        return type;
    }

    /** Default as text, or null when the setting is unset by default. */
    public String defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }

    public static ConfigKey byKey(String key) {
        for (ConfigKey k : values()) {
            if (k.key.equals(key)) {
                return k;
            }
        }
        return null;
    }

    /** The settings table as Markdown (for CONFIG.md and the README). */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| File key | Environment | Flag | Default | Meaning |\n");
        sb.append("|---|---|---|---|---|\n");
        for (ConfigKey k : values()) {
            sb.append("| `").append(k.key).append("` | `").append(k.env()).append("` | `").append(k.flag())
                    .append("` | ").append(k.defaultValue == null ? "(unset)" : "`" + k.defaultValue + "`")
                    .append(" | ").append(k.description).append(" |\n");
        }
        return sb.toString();
    }

    /** The settings table as plain text (for {@code serve --help}). */
    public static String textTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("  %-27s %-37s %s%n", "FILE KEY / FLAG", "ENVIRONMENT", "DEFAULT"));
        for (ConfigKey k : values()) {
            sb.append(String.format("  %-27s %-37s %s%n", k.key, k.env(), k.defaultValue == null ? "(unset)" : k.defaultValue));
        }
        return sb.toString();
    }
}
