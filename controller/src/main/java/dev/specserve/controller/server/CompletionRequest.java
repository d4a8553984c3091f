package dev.specserve.controller.server;

import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.List;

/**
 * A validated completion request, the same for HTTP and the event bus.
 *
 * @param model     the model the client named, or null (informational: one model is served)
 * @param stream    HTTP only: answer with server-sent events
 * @param strategy  drafting strategy, or null for the server default
 * @param domain    optional domain tag carried into feedback
 */
public record CompletionRequest(String model, String prompt, int maxTokens, double temperature, double topP,
                                List<String> stop, boolean stream, long seed, String strategy, String domain) {
    public CompletionRequest {
        stop = List.copyOf(stop);
    }

    public EngineRequest toEngineRequest(String requestId) {
        return new EngineRequest(requestId, prompt, maxTokens, new SamplingParams(temperature, topP, seed), stop,
                strategy, null, domain, 0);
    }
}
