package dev.specserve.runtime.spec;

/**
 * A finished generation with its per-round aggregates; {@code logprobs} (of the output tokens) and
 * {@code promptLogprobs} (of the prompt tokens after the first) are null unless the request asked for them.
 */
public record GenerationResult(
        int[] tokens,
        String text,
        FinishReason finishReason,
        int promptTokens,
        int rounds,
        long acceptedDraftTokens,
        long prefillNanos,
        long totalNanos,
        long draftNanos,
        long verifyNanos,
        long javaNanos,
        long draftForwards,
        long treeNodes,
        java.util.List<TokenLogprob> logprobs,
        java.util.List<TokenLogprob> promptLogprobs) {

    /** Without logprobs (the request did not ask for them). */
    public GenerationResult(int[] tokens, String text, FinishReason finishReason, int promptTokens, int rounds,
                            long acceptedDraftTokens, long prefillNanos, long totalNanos, long draftNanos,
                            long verifyNanos, long javaNanos, long draftForwards, long treeNodes) {
        this(tokens, text, finishReason, promptTokens, rounds, acceptedDraftTokens, prefillNanos, totalNanos,
                draftNanos, verifyNanos, javaNanos, draftForwards, treeNodes, null, null);
    }

    /** Mean tokens per round including the bonus token (tau). */
    public double meanAcceptedLength() {
        return rounds == 0 ? 0 : (double) (acceptedDraftTokens + rounds) / rounds;
    }
}
