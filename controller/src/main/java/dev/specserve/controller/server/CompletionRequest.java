package dev.specserve.controller.server;

import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.List;

/**
 * A validated completion request, the same for HTTP and the event bus.
 *
 * @param model     the model the client named (one of the served names), or null
 * @param prompts   the prompts, each answered with {@code n} choices (OpenAI's batch: a prompt array)
 * @param sampling  temperature, top-p, seed, penalties, logit_bias, logprobs, top-k, min-p (vLLM semantics)
 * @param stream    HTTP only: answer with server-sent events
 * @param strategy  drafting strategy, or null for the server default
 * @param domain    optional domain tag carried into feedback
 * @param includeUsage  HTTP streams: {@code stream_options.include_usage}, a last chunk with no choices and the usage
 * @param n         choices to generate per prompt, each its own sequence (choice i samples with seed + i, as vLLM)
 * @param maxTokens tokens to generate at most; 0 only with {@code echo}: the prompt scored, no completion
 * @param echo      completions API: each choice's text starts with its prompt (and with logprobs, the prompt
 *                  tokens' logprobs start its logprobs)
 * @param toolCalls chat API: the tools and the tool choice ({@link ToolCalls}), or null for none
 */
public record CompletionRequest(String model, List<Prompt> prompts, int maxTokens, SamplingParams sampling,
                                List<String> stop, boolean stream, String strategy, String domain,
                                boolean includeUsage, int n, boolean echo, ToolCalls toolCalls) {
    public CompletionRequest {
        prompts = List.copyOf(prompts);
        stop = List.copyOf(stop);
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("a request needs a prompt");
        }
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
    }

    /** One text prompt, {@code n} choices, no echo. */
    public CompletionRequest(String model, String prompt, int maxTokens, SamplingParams sampling, List<String> stop,
                             boolean stream, String strategy, String domain, boolean includeUsage, int n) {
        this(model, List.of(Prompt.text(prompt)), maxTokens, sampling, stop, stream, strategy, domain, includeUsage, n,
                false, null);
    }

    /** One text prompt, one choice. */
    public CompletionRequest(String model, String prompt, int maxTokens, SamplingParams sampling, List<String> stop,
                             boolean stream, String strategy, String domain, boolean includeUsage) {
        this(model, prompt, maxTokens, sampling, stop, stream, strategy, domain, includeUsage, 1);
    }

    /** Temperature, top-p and seed only. */
    public CompletionRequest(String model, String prompt, int maxTokens, double temperature, double topP,
                             List<String> stop, boolean stream, long seed, String strategy, String domain) {
        this(model, prompt, maxTokens, new SamplingParams(temperature, topP, seed), stop, stream, strategy, domain,
                false);
    }

    /** The first prompt's text (the only prompt's, but for batches). */
    public String prompt() {
        return prompts.get(0).text();
    }

    /** Sequences this request generates: {@code n} per prompt. */
    public int sequences() {
        return prompts.size() * n;
    }

    /** This request echoing its prompts; with {@code logprobs} >= 0, their tokens' logprobs too. */
    public CompletionRequest echoed(int logprobs) {
        return new CompletionRequest(model, prompts, maxTokens, logprobs >= 0 ? sampling.withPromptLogprobs(logprobs)
                : sampling, stop, stream, strategy, domain, includeUsage, n, true, toolCalls);
    }

    /** The same request sampling with {@code s}. */
    public CompletionRequest withSampling(SamplingParams s) {
        return new CompletionRequest(model, prompts, maxTokens, s, stop, stream, strategy, domain, includeUsage, n, echo,
                toolCalls);
    }

    /** The same request with its prompts replaced (a token prompt's text filled in, say). */
    public CompletionRequest withPrompts(List<Prompt> replaced) {
        return new CompletionRequest(model, replaced, maxTokens, sampling, stop, stream, strategy, domain,
                includeUsage, n, echo, toolCalls);
    }

    /**
     * Sequence {@code index} of {@link #sequences()}: prompt {@code index / n} alone, sampling with
     * seed + {@code index % n} (OpenAI orders a batch's choices prompt by prompt).
     */
    public CompletionRequest choice(int index) {
        if (index == 0 && sequences() == 1) {
            return this;
        }
        return new CompletionRequest(model, List.of(prompts.get(index / n)), maxTokens,
                sampling.withSeed(sampling.seed() + index % n), stop, stream, strategy, domain, includeUsage, 1, echo,
                toolCalls);
    }

    /**
     * With the chat API's tools: when a call must come, the output is constrained to it (a request that constrains
     * its output otherwise too is refused, naming {@code tool_choice}).
     */
    public CompletionRequest withToolCalls(ToolCalls t) {
        if (t == null) {
            return this;
        }
        if (t.calls() && sampling.grammar() != null) {
            throw new dev.specserve.runtime.spec.InvalidRequestException("tool_choice", "a required or named "
                    + "tool_choice constrains the output already; it cannot be combined with response_format");
        }
        SamplingParams s = t.calls() ? sampling.withGrammar(t.grammar()) : sampling;
        if (t.parser() != null && t.parser().keepsSpecialTokens()) { // the calls start with a special token
            s = s.withSkipSpecialTokens(false);
        }
        return new CompletionRequest(model, prompts, maxTokens, s, stop, stream, strategy, domain, includeUsage, n, echo,
                t);
    }

    /** Echo with {@code max_tokens} 0: the answer is the prompt alone (the engine decodes one token, left out). */
    public boolean scoresPromptOnly() {
        return echo && maxTokens == 0;
    }

    public EngineRequest toEngineRequest(String requestId, String group) {
        Prompt p = prompts.get(0);
        return new EngineRequest(requestId, p.text(), scoresPromptOnly() ? 1 : maxTokens, sampling(), stop, strategy,
                null, domain, 0, p.tokens(), p.truncate(), group);
    }
}
