package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.SamplingParams;
import java.util.List;

/**
 * A text completion as the serving layer submits it.
 *
 * @param requestId  caller's id, echoed in feedback and logs
 * @param prompt     prompt text (tokenized by the engine), or for a token prompt its text (null when unknown)
 * @param maxTokens  tokens to generate at most, or {@link #FILL_CONTEXT}: as many as the context has room for
 *                   after the prompt, up to the engine's max_tokens limit (OpenAI's chat default)
 * @param sampling   temperature 0 = greedy
 * @param stop       stop strings
 * @param strategy   drafting strategy name, or null for the engine default
 * @param budget     draft budget, or null for the engine default
 * @param domain     optional domain tag carried into feedback
 * @param timeoutMillis  per-request timeout (0 = engine default)
 * @param promptTokens   the prompt as token ids (OpenAI's token prompts), served as they are; null: tokenize
 *                       {@code prompt}
 * @param truncatePromptTokens vLLM's {@code truncate_prompt_tokens}: keep only the prompt's last k tokens (k &gt; 0),
 *                       or with {@link #TRUNCATE_TO_CONTEXT} as many as the context holds; 0 keeps it whole
 * @param group          what the request belongs to for fair admission: the choices of one API request share one
 *                       group, so free batch slots go first to the group holding the fewest; null: its own id
 */
public record EngineRequest(String requestId, String prompt, int maxTokens, SamplingParams sampling, List<String> stop,
                            String strategy, DraftBudget budget, String domain, long timeoutMillis, int[] promptTokens,
                            int truncatePromptTokens, String group) {
    /** {@link #maxTokens} meaning: the rest of the context after the prompt, up to the max_tokens limit. */
    public static final int FILL_CONTEXT = -1;
    /** {@link #truncatePromptTokens} meaning: the prompt's last tokens, as many as the context holds. */
    public static final int TRUNCATE_TO_CONTEXT = -1;

    public EngineRequest {
        stop = stop == null ? List.of() : List.copyOf(stop);
        promptTokens = promptTokens == null ? null : promptTokens.clone();
        group = group == null ? requestId : group;
    }

    /** A request that is its own admission group. */
    public EngineRequest(String requestId, String prompt, int maxTokens, SamplingParams sampling, List<String> stop,
                         String strategy, DraftBudget budget, String domain, long timeoutMillis, int[] promptTokens,
                         int truncatePromptTokens) {
        this(requestId, prompt, maxTokens, sampling, stop, strategy, budget, domain, timeoutMillis, promptTokens,
                truncatePromptTokens, null);
    }

    /** A prompt kept whole. */
    public EngineRequest(String requestId, String prompt, int maxTokens, SamplingParams sampling, List<String> stop,
                         String strategy, DraftBudget budget, String domain, long timeoutMillis, int[] promptTokens) {
        this(requestId, prompt, maxTokens, sampling, stop, strategy, budget, domain, timeoutMillis, promptTokens, 0, null);
    }

    /** {@code ids} as this request keeps them: their last {@link #truncatePromptTokens} when set, for a context of {@code context}. */
    public int[] truncated(int[] ids, int context) {
        int keep = truncatePromptTokens == TRUNCATE_TO_CONTEXT ? context - 1 : truncatePromptTokens;
        return truncatePromptTokens == 0 || ids.length <= keep ? ids
                : java.util.Arrays.copyOfRange(ids, ids.length - keep, ids.length);
    }

    /** A text prompt. */
    public EngineRequest(String requestId, String prompt, int maxTokens, SamplingParams sampling, List<String> stop,
                         String strategy, DraftBudget budget, String domain, long timeoutMillis) {
        this(requestId, prompt, maxTokens, sampling, stop, strategy, budget, domain, timeoutMillis, null);
    }

    /** The prompt's token ids, a copy (the record keeps its own). */
    @Override
    public int[] promptTokens() {
        return promptTokens == null ? null : promptTokens.clone();
    }
}
