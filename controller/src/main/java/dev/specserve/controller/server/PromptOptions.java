package dev.specserve.controller.server;

import static dev.specserve.controller.server.JsonFields.integer;

import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonObject;

/** vLLM's options about the prompt itself: {@code truncate_prompt_tokens} and {@code prompt_logprobs}. */
final class PromptOptions {
    private PromptOptions() {}

    /**
     * vLLM's {@code truncate_prompt_tokens}: keep the prompt's last k tokens, or with -1 as many as the context holds;
     * 0 when absent.
     */
    static int truncate(JsonObject json, int contextLength) {
        if (json.getValue("truncate_prompt_tokens") == null) {
            return 0;
        }
        long k = integer(json, "truncate_prompt_tokens", -1, Integer.MAX_VALUE);
        if (k == 0 || k >= contextLength) {
            throw new InvalidRequestException("truncate_prompt_tokens", "truncate_prompt_tokens must be -1 (as many "
                    + "as the context holds) or in [1, " + (contextLength - 1) + "], got " + k);
        }
        return (int) k;
    }

    /**
     * vLLM's {@code prompt_logprobs}: each prompt token's logprob, rank and {@code k} alternatives, from the model's
     * raw distribution at the position before, in each choice's {@code prompt_logprobs}. Answered whole, as vLLM.
     */
    static CompletionRequest withPromptLogprobs(CompletionRequest req, int k, boolean echoLogprobs) {
        if (req.stream()) {
            throw new InvalidRequestException("prompt_logprobs", "prompt_logprobs is answered whole: send it without "
                    + "stream");
        }
        if (echoLogprobs) {
            throw new InvalidRequestException("prompt_logprobs", "prompt_logprobs with echo and logprobs asks for the "
                    + "prompt's logprobs twice: echo with logprobs puts them first in logprobs; send one of the two");
        }
        return req.withSampling(req.sampling().withPromptLogprobs(k));
    }
}
