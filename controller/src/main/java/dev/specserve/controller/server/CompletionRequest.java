package dev.specserve.controller.server;

import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.List;
import java.util.Map;

/**
 * A validated completion request, the same for HTTP and the event bus.
 *
 * @param model     the model the client named, or null (informational: one model is served)
 * @param stream    HTTP only: answer with server-sent events
 * @param strategy  drafting strategy, or null for the server default
 * @param domain    optional domain tag carried into feedback
 * @param presencePenalty   OpenAI/vLLM presence penalty in [-2, 2]
 * @param frequencyPenalty  OpenAI/vLLM frequency penalty in [-2, 2]
 * @param logitBias token id to bias in [-100, 100]
 * @param logprobs  top alternatives per token to report (0..5), or -1 for none
 * @param includeUsage  HTTP streams: {@code stream_options.include_usage}, a last chunk with no choices and the usage
 */
public record CompletionRequest(String model, String prompt, int maxTokens, double temperature, double topP,
                                List<String> stop, boolean stream, long seed, String strategy, String domain,
                                double presencePenalty, double frequencyPenalty, Map<Integer, Double> logitBias,
                                int logprobs, boolean includeUsage) {
    public CompletionRequest {
        stop = List.copyOf(stop);
        logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
    }

    /** Without penalties, bias or logprobs. */
    public CompletionRequest(String model, String prompt, int maxTokens, double temperature, double topP,
                             List<String> stop, boolean stream, long seed, String strategy, String domain) {
        this(model, prompt, maxTokens, temperature, topP, stop, stream, seed, strategy, domain, 0, 0, Map.of(), -1,
                false);
    }

    public SamplingParams sampling() {
        return new SamplingParams(temperature, topP, seed, presencePenalty, frequencyPenalty, logitBias, logprobs);
    }

    public EngineRequest toEngineRequest(String requestId) {
        return new EngineRequest(requestId, prompt, maxTokens, sampling(), stop, strategy, null, domain, 0);
    }
}
