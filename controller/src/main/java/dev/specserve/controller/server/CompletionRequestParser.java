package dev.specserve.controller.server;

import dev.specserve.drafters.Strategies;
import dev.specserve.runtime.spec.InvalidRequestException;
import dev.specserve.runtime.spec.SamplingParams;
import dev.specserve.runtime.spec.Stopping;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static dev.specserve.controller.server.JsonFields.bool;
import static dev.specserve.controller.server.JsonFields.integer;
import static dev.specserve.controller.server.JsonFields.number;
import static dev.specserve.controller.server.JsonFields.optionalString;
import static dev.specserve.controller.server.JsonFields.typeName;
import static dev.specserve.controller.server.JsonFields.jsonProblem;

/**
 * The one place where request JSON is checked, for HTTP and the event bus alike. Every refusal is an
 * {@link InvalidRequestException} whose {@code field()} names the offending parameter ({@code body} when the
 * payload itself is not a JSON object). Fields follow the OpenAI completions API, plus {@code strategy} and
 * {@code domain}, and {@code presence_penalty}, {@code frequency_penalty}, {@code logit_bias}, {@code logprobs},
 * {@code n}, {@code echo}, and vLLM's {@code top_k}, {@code min_p}, {@code repetition_penalty},
 * {@code stop_token_ids}, {@code min_tokens}, {@code ignore_eos}, {@code allowed_token_ids}, {@code bad_words} and
 * {@code skip_special_tokens}, {@code prompt_logprobs} and {@code truncate_prompt_tokens}, with vLLM's semantics. A parameter of the
 * OpenAI or vLLM completions API that would change the output but is not implemented ({@code suffix},
 * {@code best_of > n}, {@code length_penalty}, ...) is refused with a 400 naming it, never silently ignored;
 * fields unknown to both APIs are ignored.
 */
public final class CompletionRequestParser {
    /** OpenAI's default when max_tokens is omitted. */
    public static final int DEFAULT_MAX_TOKENS = 16;
    public static final int MAX_STOP_STRINGS = 16;
    public static final int MAX_LOGIT_BIAS_ENTRIES = 1024;
    /** Most alternatives per token that logprobs (completions) and top_logprobs (chat) may ask for. */
    public static final int MAX_LOGPROBS = 20; // vLLM's default max_logprobs; OpenAI: 5 on completions, 20 on chat
    /** Most choices one request may ask for ({@code n}). */
    public static final int MAX_CHOICES = 32;

    private final List<String> strategies;
    private final int maxTokensLimit;
    private final int contextLength;

    public CompletionRequestParser(List<String> strategies, int maxTokensLimit) {
        this(strategies, maxTokensLimit, Integer.MAX_VALUE);
    }

    /** @param contextLength the model's context: a token prompt as long is refused while parsing */
    public CompletionRequestParser(List<String> strategies, int maxTokensLimit, int contextLength) {
        this.strategies = List.copyOf(strategies);
        this.maxTokensLimit = maxTokensLimit;
        this.contextLength = contextLength;
    }

    /** Parses a request body given as text (HTTP). */
    public CompletionRequest parse(String body) {
        return parse(object(body));
    }

    /** Parses an event-bus body: a JSON object, or a string holding one. */
    public CompletionRequest parseValue(Object body) {
        return parse(object(body));
    }

    /** A request body as a JSON object: text (HTTP) is decoded; a JSON object (event bus) is taken as it is. */
    static JsonObject object(Object body) {
        if (body instanceof JsonObject o) {
            return o;
        }
        if (!(body instanceof String text)) {
            throw new InvalidRequestException("body", "request body must be a JSON object, got "
                    + (body == null ? "nothing" : typeName(body)));
        }
        if (text.isBlank()) {
            throw new InvalidRequestException("body", "request body is empty; expected a JSON object");
        }
        Object parsed;
        try {
            parsed = io.vertx.core.json.Json.decodeValue(text);
        } catch (DecodeException e) {
            throw new InvalidRequestException("body", "request body is not valid JSON: " + jsonProblem(e));
        }
        if (parsed instanceof String) { // a JSON string holding the object
            return object(parsed);
        }
        if (!(parsed instanceof JsonObject o)) {
            throw new InvalidRequestException("body", "request body must be a JSON object, got " + typeName(parsed));
        }
        return o;
    }

    public CompletionRequest parse(JsonObject json) {
        int truncate = PromptOptions.truncate(json, contextLength);
        List<Prompt> prompts = PromptParser.prompts(json.getValue("prompt"), truncate != 0 ? Integer.MAX_VALUE
                : contextLength);
        boolean echo = json.getValue("echo") != null && bool(json, "echo");
        if (echo && truncate != 0) {
            throw new InvalidRequestException("truncate_prompt_tokens", "truncate_prompt_tokens cannot be combined "
                    + "with echo: send the prompt you want echoed");
        }
        boolean noCompletion = isZero(json.getValue("max_tokens"));
        if (noCompletion && !echo) {
            throw new InvalidRequestException("max_tokens", "max_tokens must be in [1, " + maxTokensLimit
                    + "], got 0 (0 asks for no completion, which only echo makes useful: it scores the prompt)");
        }
        int maxTokens = noCompletion ? 0 : maxTokens(json, "max_tokens");
        int logprobs = json.getValue("logprobs") == null ? -1 : (int) integer(json, "logprobs", 0, MAX_LOGPROBS);
        UnsupportedFields.refuse(json, UnsupportedFields.COMPLETIONS, "messages", "this is the completions API: send a prompt");
        CompletionRequest req = common(json, prompts, maxTokens, logprobs);
        if (json.getValue("prompt_logprobs") != null) {
            req = PromptOptions.withPromptLogprobs(req, (int) integer(json, "prompt_logprobs", 0, MAX_LOGPROBS),
                    echo && logprobs >= 0);
        }
        if (!echo) {
            return req;
        }
        if (req.stream() && logprobs >= 0) {
            throw new InvalidRequestException("echo", "echo with logprobs (the prompt tokens' logprobs) is answered "
                    + "whole: send it without stream");
        }
        return req.echoed(logprobs);
    }

    /**
     * {@code max_tokens: 0} with {@code echo}: score the prompt (its text, and with {@code logprobs} its tokens'
     * logprobs) without a completion, as OpenAI's legacy completions and vLLM answer it; without echo, 0 stays an
     * error.
     */
    private static boolean isZero(Object value) {
        return value instanceof Number v && v.doubleValue() == 0;
    }

    /** vLLM's {@code min_tokens}: 0 when absent, never above the request's max tokens. */
    private static int minTokens(JsonObject json, int maxTokens) {
        if (json.getValue("min_tokens") == null) {
            return 0;
        }
        long min = integer(json, "min_tokens", 0, Integer.MAX_VALUE);
        if (min > maxTokens) {
            throw new InvalidRequestException("min_tokens", "min_tokens (" + min + ") must be at most max_tokens ("
                    + maxTokens + ")");
        }
        return (int) min;
    }

    /** {@code field} as a token count in [1, max_tokens_limit], or the default when absent. */
    int maxTokens(JsonObject json, String field) {
        return json.getValue(field) == null ? Math.min(DEFAULT_MAX_TOKENS, maxTokensLimit)
                : (int) integer(json, field, 1, maxTokensLimit);
    }

    /**
     * The fields both the completions and the chat completions API read the same way: model, sampling, stop,
     * stream, seed, strategy, domain, n, best_of, penalties, logit_bias, stream_options.
     */
    CompletionRequest common(JsonObject json, List<Prompt> given, int maxTokens, int logprobs) {
        int truncate = PromptOptions.truncate(json, contextLength);
        List<Prompt> prompts = truncate == 0 ? given : given.stream().map(p -> p.truncated(truncate, contextLength))
                .toList();
        String model = optionalString(json, "model");
        double temperature = number(json, "temperature", 1.0);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new InvalidRequestException("temperature", "temperature must be a number >= 0, got " + temperature);
        }
        double topP = number(json, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw new InvalidRequestException("top_p", "top_p must be a number in (0, 1], got " + topP);
        }
        List<String> stop = StopFields.stop(json.getValue("stop"));
        boolean stream = bool(json, "stream");
        long seed = json.getValue("seed") == null ? ThreadLocalRandom.current().nextLong()
                : integer(json, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        String strategy = optionalString(json, "strategy");
        if (strategy != null && !strategies.contains(strategy)) {
            throw new InvalidRequestException("strategy", Strategies.NAMES.contains(strategy)
                    ? "strategy '" + strategy + "' needs a drafter model (and tree verification), which this model "
                            + "does not have; it serves " + String.join(", ", strategies)
                            + " (models/train-drafter.sh adds a drafter to a model exported by models/export-hf.py; "
                            + "an imported optimum-cli export, whose graph gives no hidden states, cannot have one)"
                    : "unknown strategy '" + strategy + "'; known: " + String.join(", ", strategies));
        }
        String domain = domain(optionalString(json, "domain"));
        int n = json.getValue("n") == null ? 1 : (int) integer(json, "n", 1, MAX_CHOICES);
        if (json.getValue("best_of") != null && integer(json, "best_of", 1, Long.MAX_VALUE) != n) {
            throw new InvalidRequestException("best_of", "only best_of = n (" + n + ") is served: ranking more samples "
                    + "than are returned is not");
        }
        double presence = number(json, "presence_penalty", 0);
        double frequency = number(json, "frequency_penalty", 0);
        for (String f : new String[] {"presence_penalty", "frequency_penalty"}) {
            double v = f.equals("presence_penalty") ? presence : frequency;
            if (!(v >= -2 && v <= 2)) {
                throw new InvalidRequestException(f, f + " must be a number in [-2, 2], got " + v);
            }
        }
        java.util.Map<Integer, Double> bias = TokenFields.logitBias(json.getValue("logit_bias"));
        boolean includeUsage = false;
        if (json.getValue("stream_options") != null) {
            if (!(json.getValue("stream_options") instanceof JsonObject o) || !stream) {
                throw new InvalidRequestException("stream_options",
                        "stream_options must be an object, and is only allowed with stream: true");
            }
            if (o.getValue("include_usage") != null && !(o.getValue("include_usage") instanceof Boolean)) {
                throw new InvalidRequestException("stream_options", "stream_options.include_usage must be true or false");
            }
            includeUsage = Boolean.TRUE.equals(o.getValue("include_usage"));
        }
        int topK = json.getValue("top_k") == null ? 0 : (int) integer(json, "top_k", -1, Integer.MAX_VALUE);
        boolean ignoreEos = json.getValue("ignore_eos") != null && bool(json, "ignore_eos");
        boolean includeStop = json.getValue("include_stop_str_in_output") != null
                && bool(json, "include_stop_str_in_output");
        SamplingParams sampling = new SamplingParams(temperature, topP, seed, presence, frequency, bias, logprobs, topK,
                number(json, "min_p", 0), number(json, "repetition_penalty", 1),
                new Stopping(StopFields.stopTokenIds(json.getValue("stop_token_ids")), minTokens(json, maxTokens),
                        ignoreEos, includeStop), -1, StructuredOutput.parse(json), TokenFields.restrictions(json),
                json.getValue("skip_special_tokens") == null || bool(json, "skip_special_tokens"));
        return new CompletionRequest(model, prompts, maxTokens, sampling, stop, stream, strategy, domain, includeUsage, n,
                false, null);
    }

    /** The longest {@code domain} tag: it is copied into every round's feedback event. */
    static final int MAX_DOMAIN_CHARS = 64;
    private static final java.util.regex.Pattern DOMAIN = java.util.regex.Pattern.compile("[A-Za-z0-9_.:/-]{1,64}");

    /**
     * A {@code domain} tag as feedback carries it (once per round, so bounded): 1 to 64 letters, digits and
     * {@code _ . : / -}; null when absent.
     */
    static String domain(String tag) {
        if (tag != null && !DOMAIN.matcher(tag).matches()) {
            throw new InvalidRequestException("domain", "domain must be 1 to " + MAX_DOMAIN_CHARS + " letters, digits "
                    + "and _ . : / - (a tag carried in every round's feedback event), got " + (tag.length() > 80
                    ? tag.length() + " characters starting '" + tag.substring(0, 40) + "'" : "'" + tag + "'"));
        }
        return tag;
    }
}
