package dev.specserve.controller.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.specserve.controller.adaptbench.BenchPrompts;
import dev.specserve.controller.load.CompletionStreamClient;
import dev.specserve.controller.load.ExtraBody;
import dev.specserve.controller.load.LevelReport;
import dev.specserve.controller.load.LoadGenerator;
import dev.specserve.controller.load.PromptFit;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "load", mixinStandardHelpOptions = true,
        description = {"Closed-loop HTTP load on a running server: at each concurrency c, c clients each stream one "
                + "POST /v1/completions at a time until --requests have been sent; reports tokens/s, TTFT, "
                + "inter-token and end-to-end latency percentiles and failed requests per level.",
                "ITL is per token: each gap between text chunks divided by the request's mean tokens per chunk "
                + "(usage.completion_tokens / text chunks), since one speculative round sends several tokens in one "
                + "chunk. Failed requests (non-200, error chunk, no [DONE], timeout, connection error) are counted, "
                + "not timed; the exit status is 1 when any request failed (the report is still written)."})
final class LoadCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8000", description = "Server root; HOST:PORT means "
            + "http://HOST:PORT, and a trailing /v1/completions is dropped (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--cacert", paramLabel = "PEM", description = "For an https --url: trust the certificates in this "
            + "PEM file (a server started with tls_cert_file, say) instead of the JVM's.")
    Path caCert;

    @Option(names = "--api-key", defaultValue = "${env:SPECSERVE_API_KEY}",
            description = "Bearer key for a server started with api_key (default: the SPECSERVE_API_KEY environment variable).")
    String apiKey;

    @Option(names = "--prompts", paramLabel = "FILE.jsonl",
            description = "One {\"prompt\": ...} per line, used in turn (default: bench/prompts/python-stream.jsonl and "
                    + "java-stream.jsonl interleaved, 181 prompts from files the models never trained on, so the "
                    + "default levels send no prompt twice).")
    Path prompts;

    @Option(names = "--requests", defaultValue = "32", description = "Requests per concurrency level (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,4,8",
            description = "Comma-separated concurrency levels, run in order (default: ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--max-tokens", defaultValue = "128", description = "max_tokens of each request (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--strategy", description = "The requests' strategy field (default: the server's default strategy).")
    String strategy;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", description = "The requests' top_p (default: not sent).")
    Double topP;

    @Option(names = "--top-k", description = "The requests' top_k, as vLLM reads it (default: not sent).")
    Integer topK;

    @Option(names = "--ignore-eos", description = "Send vLLM's ignore_eos, so every request generates max_tokens "
            + "tokens, as vLLM's benchmark_serving --ignore-eos (default: not sent).")
    boolean ignoreEos;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "Per-request limit, send to [DONE]; a request over it is cancelled and counted failed "
                    + "(default: ${DEFAULT-VALUE}).")
    double timeoutSeconds;

    @Option(names = "--warmup", defaultValue = "2", description = "Requests sent one at a time before the first level "
            + "and not counted: a fresh server's first requests are slow (JIT, caches) (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--extra-body", paramLabel = "JSON", description = "A JSON object merged into every request body, "
            + "e.g. '{\"response_format\": {\"type\": \"json_object\"}}' (default: none).")
    String extraBody;

    @Option(names = "--json", paramLabel = "OUT", description = "Also write the results as JSON.")
    Path json;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (requests < 1) {
            throw new IllegalArgumentException("--requests must be >= 1, got " + requests);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        }
        if (concurrency.isEmpty() || concurrency.stream().anyMatch(c -> c < 1)) {
            throw new IllegalArgumentException("--concurrency levels must be >= 1, got " + concurrency);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        }
        if (!(timeoutSeconds > 0)) {
            throw new IllegalArgumentException("--timeout must be > 0, got " + timeoutSeconds);
        }
        OutputFiles.checkWritable("--json", json); // now, not after the whole run
        url = serverRoot(url);
        String file = prompts != null ? prompts.toString() : DEFAULT_PROMPTS;
        List<String> texts = prompts != null ? PromptFiles.read(prompts) : defaultPrompts();

        HttpClient http = CompletionStreamClient.newHttpClient(caCert);
        Duration timeout = Duration.ofMillis(Math.round(timeoutSeconds * 1000));
        Map<String, Object> sampling = new LinkedHashMap<>();
        if (topP != null) {
            sampling.put("top_p", topP);
        }
        if (topK != null) {
            sampling.put("top_k", topK);
        }
        if (ignoreEos) {
            sampling.put("ignore_eos", true);
        }
        sampling.putAll(ExtraBody.parse(extraBody));
        CompletionStreamClient client = new CompletionStreamClient(http, url, maxTokens, temperature, strategy, timeout,
                apiKey == null || apiKey.isBlank() ? null : apiKey, sampling);
        JsonNode model = describeModel(http, client);
        int given = texts.size();
        PromptFit.Result fit = PromptFit.keepFitting(http, client, url, texts, maxTokens);
        if (fit.dropped() > 0) {
            System.err.printf("load: skipped %d of %d prompts whose tokens plus --max-tokens %d exceed the model's "
                    + "%d-token context (the server would refuse them)%n", fit.dropped(), given, maxTokens, fit.context());
        }
        if (fit.kept().isEmpty()) {
            throw new IllegalArgumentException("no prompt of " + file + " fits the model's " + fit.context()
                    + "-token context with --max-tokens " + maxTokens + "; lower --max-tokens or give shorter prompts");
        }
        texts = fit.kept();
        System.err.printf("load: %s, %d requests per level at concurrency %s, %d max tokens, strategy %s, %d prompts from %s%n",
                client.endpoint(), requests, concurrency, maxTokens,
                strategy != null ? strategy : model.has("default_strategy") ? "default ("
                        + model.path("default_strategy").asText() + ")" : "the server's default (GET /v1/models did not "
                        + "say which)",
                texts.size(), file);
        int sent = warmup + requests * concurrency.size();
        if (sent > texts.size()) {
            System.err.printf("load: warning: %d requests over %d prompts, so prompts repeat from request %d on: a repeat "
                    + "hits the prefix cache and the lookup's memory of earlier outputs and flatters the later levels; "
                    + "give --prompts at least %d prompts (the default, both held-out streams, holds 181) for an "
                    + "unrepeated run%n", sent, texts.size(), texts.size() + 1, sent);
        }
        LoadGenerator generator = new LoadGenerator(client, texts, 2000);
        if (warmup > 0) {
            LevelReport w = generator.runLevel(1, warmup, null);
            System.err.printf("load: warm-up, %d requests, %d failed%s%n", warmup, w.failed(),
                    w.firstError() == null ? "" : " (first failure: " + w.firstError() + ")");
        }
        List<LevelReport> levels = new ArrayList<>();
        for (int c : concurrency) {
            LevelReport level = generator.runLevel(c, requests, p -> System.err.printf(
                    "load: c=%d %d/%d done, %d failed, %.1f tok/s so far, %.1f s%n", p.concurrency(), p.done(),
                    p.total(), p.failed(), p.elapsedSeconds() > 0 ? p.completionTokens() / p.elapsedSeconds() : 0,
                    p.elapsedSeconds()));
            System.err.printf("load: c=%d %d/%d done, %d failed, %.1f tok/s, %.1f s%s%n", c, level.requests(), requests,
                    level.failed(), level.tokensPerSecond(), level.wallSeconds(),
                    level.firstError() == null ? "" : " (first failure: " + level.firstError() + ")");
            levels.add(level);
        }
        LevelReport.printTable(System.out, levels);
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("created", Instant.now().toString());
            doc.put("url", url);
            doc.put("model", model.path("id").isMissingNode() ? null : model.path("id").asText());
            doc.put("strategy", strategy);
            doc.put("server_default_strategy", model.path("default_strategy").isMissingNode() ? null
                    : model.path("default_strategy").asText());
            doc.put("prompts", file);
            doc.put("prompt_count", texts.size());
            doc.put("prompts_skipped", fit.dropped());
            doc.put("prompts_repeat", sent > texts.size());
            doc.put("requests_per_level", requests);
            doc.put("max_tokens", maxTokens);
            doc.put("temperature", temperature);
            doc.putAll(sampling);
            doc.put("timeout_s", timeoutSeconds);
            doc.put("warmup_requests", warmup);
            Map<String, Object> machine = new LinkedHashMap<>(Machine.describe(null));
            machine.remove("execution_provider"); // the client's machine; the server's device is not known here
            doc.put("machine", machine);
            doc.put("levels", levels.stream().map(LevelReport::toJson).toList());
            JSON.writeValue(json.toFile(), doc);
            System.err.println("load: wrote " + json);
        }
        return levels.stream().anyMatch(l -> l.failed() > 0) ? 1 : 0;
    }

    /**
     * The server root that {@code --url} names: {@code HOST:PORT} is taken as {@code http://HOST:PORT}, and the
     * endpoint path {@code /v1/completions} (as an OpenAI client's base_url ends), which load appends itself, is
     * dropped; any other path is kept (a server behind a path prefix).
     */
    static String serverRoot(String url) {
        String u = url.strip();
        if (!u.contains("://")) {
            u = "http://" + u;
        }
        URI base;
        try {
            base = new URI(u);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("--url must be http(s)://HOST:PORT, got '" + url + "' ("
                    + e.getMessage() + ")");
        }
        if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme()) || base.getHost() == null) {
            throw new IllegalArgumentException("--url must be http(s)://HOST:PORT, got '" + url + "'");
        }
        if (base.getQuery() != null || base.getFragment() != null) {
            throw new IllegalArgumentException("--url must be the server root, http(s)://HOST:PORT, without a query or "
                    + "fragment, got '" + url + "'");
        }
        String root = u.replaceAll("/+$", "");
        for (String endpoint : List.of("/v1/completions", "/v1")) {
            if (root.endsWith(endpoint)) {
                root = root.substring(0, root.length() - endpoint.length());
                break;
            }
        }
        if (root.matches(".*/v1/(chat/completions|responses)$")) {
            throw new IllegalArgumentException("--url must be the server root: load sends POST /v1/completions itself, "
                    + "got '" + url + "'");
        }
        return root;
    }

    /**
     * The server's {@code GET /v1/models} entry (model id, default strategy), or an empty node if it does not answer
     * it; nothing listening at {@code url} is an error at once, not a run of failed levels.
     */
    private JsonNode describeModel(HttpClient http, CompletionStreamClient client) {
        try {
            HttpResponse<String> r = http.send(client.authorised(HttpRequest.newBuilder(
                            URI.create(url.replaceAll("/+$", "") + "/v1/models"))).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                JsonNode m = JSON.readTree(r.body()).path("data").path(0);
                if (m.isObject()) {
                    return m;
                }
            }
        } catch (java.net.ConnectException e) {
            throw new IllegalArgumentException("cannot connect to " + url + " (connection refused): is the server "
                    + "running there?");
        } catch (IOException e) {
            // reported by the requests themselves
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return JSON.createObjectNode();
    }

    private static final String DEFAULT_PROMPTS = "bench/prompts/python-stream.jsonl + java-stream.jsonl, interleaved";

    /**
     * Both held-out streams, one Python prompt then one Java prompt: a mix of the two domains at every level, and
     * enough prompts (181) that warm-up plus the default levels (2 + 3 x 32) never repeat one, which would hit the
     * prefix cache and the lookup's memory of served text.
     */
    static List<String> defaultPrompts() throws IOException {
        List<String> python = BenchPrompts.load("python-stream.jsonl");
        List<String> java = BenchPrompts.load("java-stream.jsonl");
        List<String> mixed = new ArrayList<>(python.size() + java.size());
        for (int i = 0; i < Math.max(python.size(), java.size()); i++) {
            if (i < python.size()) {
                mixed.add(python.get(i));
            }
            if (i < java.size()) {
                mixed.add(java.get(i));
            }
        }
        return mixed;
    }
}
