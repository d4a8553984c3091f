package dev.specserve.runtime.spec;

/** A finished generation with its per-round aggregates. */
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
        long treeNodes) {

    /** Mean tokens per round including the bonus token (tau). */
    public double meanAcceptedLength() {
        return rounds == 0 ? 0 : (double) (acceptedDraftTokens + rounds) / rounds;
    }
}
