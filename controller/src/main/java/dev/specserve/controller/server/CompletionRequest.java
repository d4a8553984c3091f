package dev.specserve.controller.server;

import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.List;

/**
 * A validated completion request, the same for HTTP and the event bus.
 *
 * @param model     the model the client named, or null (informational: one model is served)
 * @param sampling  temperature, top-p, seed, penalties, logit_bias, logprobs, top-k, min-p (vLLM semantics)
 * @param stream    HTTP only: answer with server-sent events
 * @param strategy  drafting strategy, or null for the server default
 * @param domain    optional domain tag carried into feedback
 * @param includeUsage  HTTP streams: {@code stream_options.include_usage}, a last chunk with no choices and the usage
 * @param n         choices to generate for the prompt, each its own sequence (choice i samples with seed + i, as vLLM)
 * @param echo      completions API: each choice's text starts with the prompt (and with logprobs, the prompt
 *                  tokens' logprobs start its logprobs)
 */
public record CompletionRequest(String model, String prompt, int maxTokens, SamplingParams sampling, List<String> stop,
                                boolean stream, String strategy, String domain, boolean includeUsage, int n,
                                boolean echo) {
    public CompletionRequest {
        stop = List.copyOf(stop);
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
    }

    /** One choice. */
    public CompletionRequest(String model, String prompt, int maxTokens, SamplingParams sampling, List<String> stop,
                             boolean stream, String strategy, String domain, boolean includeUsage) {
        this(model, prompt, maxTokens, sampling, stop, stream, strategy, domain, includeUsage, 1, false);
    }

    /** The parsed fields and {@code n}, without echo. */
    public CompletionRequest(String model, String prompt, int maxTokens, SamplingParams sampling, List<String> stop,
                             boolean stream, String strategy, String domain, boolean includeUsage, int n) {
        this(model, prompt, maxTokens, sampling, stop, stream, strategy, domain, includeUsage, n, false);
    }

    /** This request echoing its prompt; with {@code logprobs} >= 0, its prompt tokens' logprobs too. */
    public CompletionRequest echoed(int logprobs) {
        return new CompletionRequest(model, prompt, maxTokens, logprobs >= 0 ? sampling.withPromptLogprobs(logprobs)
                : sampling, stop, stream, strategy, domain, includeUsage, n, true);
    }

    /** Choice {@code index} of {@code n}: the same request, sampling with seed + index. */
    public CompletionRequest choice(int index) {
        return index == 0 ? this : new CompletionRequest(model, prompt, maxTokens,
                sampling.withSeed(sampling.seed() + index), stop, stream, strategy, domain, includeUsage, n, echo);
    }

    /** Temperature, top-p and seed only. */
    public CompletionRequest(String model, String prompt, int maxTokens, double temperature, double topP,
                             List<String> stop, boolean stream, long seed, String strategy, String domain) {
        this(model, prompt, maxTokens, new SamplingParams(temperature, topP, seed), stop, stream, strategy, domain,
                false, 1, false);
    }

    public EngineRequest toEngineRequest(String requestId) {
        return new EngineRequest(requestId, prompt, maxTokens, sampling(), stop, strategy, null, domain, 0);
    }
}
