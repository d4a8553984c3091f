package dev.specserve.runtime.plan;

/**
 * When the planner calls the drafter model although no forward pays by its estimates: to keep those estimates
 * fresh, since an option never bought is never observed again. A probe is due {@value #FIRST_INTERVAL} planned
 * rounds after the last model call, and always until the model's first position has some evidence. A probe
 * whose drafts the target rejects doubles the interval (up to {@value #MAX_INTERVAL}): under sampling from a
 * flat distribution every probe costs about half a decode step and teaches nothing new. A probe with an accepted
 * model token, or a forward bought on its merits, brings the interval back to the first.
 * Not thread-safe (the planner locks).
 */
final class ModelExploration {
    static final int FIRST_INTERVAL = 64;
    static final int MAX_INTERVAL = 1024;
    /** Model forwards bought regardless of the estimate until this much first-position evidence exists. */
    static final double COLD_START_CALLS = 3;

    private int interval = FIRST_INTERVAL;
    private long lastCall;
    private boolean probing;

    /** True when round {@code round} should call the model although no forward pays by the estimates. */
    boolean due(long round, double modelEvidence) {
        return round - lastCall >= interval || modelEvidence < COLD_START_CALLS;
    }

    /** The model was called in {@code round}: as a probe, or bought on its merits. */
    void called(long round, boolean probe) {
        lastCall = round;
        probing = probe;
        if (!probe) {
            interval = FIRST_INTERVAL;
        }
    }

    /** The probe's round was verified; {@code modelTokenAccepted}: a token the model drafted was accepted. */
    void verified(boolean modelTokenAccepted) {
        if (!probing) {
            return;
        }
        probing = false;
        interval = modelTokenAccepted ? FIRST_INTERVAL : Math.min(2 * interval, MAX_INTERVAL);
    }

    int interval() {
        return interval;
    }
}
