package dev.specserve.bandit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The realised reward of one decision, in tokens, with the windows and measurements it was computed from, so
 * that a log of decisions can recompute and audit it ({@link DecisionReplay}).
 *
 * <p>Capacity is what the engine would serve at saturation with the drafter of the moment: committed tokens ÷
 * engine busy seconds (draft + verify time) of the rounds in a window, as measured by {@link CapacityMeter}.
 * Demand does not enter it: at half load the engine is busy half the time and commits half the tokens. All
 * windows are in event time (the rounds' own timestamps) and never overlap between decisions of one drafter
 * (see {@link RewardWindows}).
 *
 * <pre>
 *   gain = (capacityAfter − capacityBefore) × creditedSeconds,  creditedSeconds = max(0, H − T − swap)
 *   cost = T × capacityTaken + swap × capacityBefore,            capacityTaken = max(0, capacityBefore − capacityDuringTraining)
 *   reward = gain − cost
 * </pre>
 * with T the measured training seconds and swap the measured swap stall (both 0 for the wait arm). This is the
 * same definition of cost as the prediction's ({@link StructuralModel#predictedCost}): training seconds × the
 * capacity they take, plus the swap stall at full capacity.
 *
 * @param decisionId             the decision
 * @param update                 whether the decision was an update
 * @param beforeFromMs           start of the window the baseline capacity was measured over (event time, ms)
 * @param beforeToMs             its end: the decision time
 * @param capacityBefore         tokens per busy second before the decision
 * @param afterFromMs            start of the window the decision's effect was measured over (the end of the
 *                               update, or the decision time for the wait arm)
 * @param afterToMs              its end: the next decision for a wait, the next update for an update (or the
 *                               horizon, whichever is first)
 * @param capacityAfter          tokens per busy second in that window
 * @param roundsAfter            rounds measured in that window
 * @param roundRateAfter         rounds per second of event time in that window (the demand; informational)
 * @param trainingSeconds        measured training time T, 0 for the wait arm
 * @param capacityDuringTraining tokens per busy second while training ran (NaN if no round ran then)
 * @param swapSeconds            measured swap stall (0 when nothing was swapped)
 * @param horizonSeconds         H, how long an improvement is credited for
 */
public record Reward(String decisionId, boolean update, long beforeFromMs, long beforeToMs, double capacityBefore,
                     long afterFromMs, long afterToMs, double capacityAfter, long roundsAfter, double roundRateAfter,
                     double trainingSeconds, double capacityDuringTraining, double swapSeconds,
                     double horizonSeconds) {

    private static final MapFields FIELDS = new MapFields("reward map");

    public Reward {
        Objects.requireNonNull(decisionId, "decisionId");
        if (!(Double.isFinite(capacityBefore) && Double.isFinite(capacityAfter))) {
            throw new IllegalArgumentException("capacities must be finite, got " + capacityBefore + " and "
                    + capacityAfter);
        }
        BanditConfig.requireNonNegative("trainingSeconds", trainingSeconds);
        BanditConfig.requireNonNegative("swapSeconds", swapSeconds);
        BanditConfig.requirePositive("horizonSeconds", horizonSeconds);
    }

    /** Seconds of the horizon the change in capacity is credited for. */
    public double creditedSeconds() {
        return Math.max(0, horizonSeconds - trainingSeconds - swapSeconds);
    }

    /**
     * Capacity (tokens/s) training took while it ran. Without a round during training nothing was measured
     * and the whole capacity counts as taken (a full stall): the pessimistic reading.
     */
    public double capacityTaken() {
        if (trainingSeconds == 0) {
            return 0;
        }
        return Double.isNaN(capacityDuringTraining) ? capacityBefore
                : Math.max(0, capacityBefore - capacityDuringTraining);
    }

    public double gainTokens() {
        return (capacityAfter - capacityBefore) * creditedSeconds();
    }

    public double costTokens() {
        return trainingSeconds * capacityTaken() + swapSeconds * capacityBefore;
    }

    /** The reward the bandit learns from: gain − cost, in tokens. */
    public double value() {
        return gainTokens() - costTokens();
    }

    /** JSON-able view: the inputs and the derived gain, cost and value ({@link #fromMap} reads it back). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("decisionId", decisionId);
        m.put("update", update);
        m.put("beforeFromMs", beforeFromMs);
        m.put("beforeToMs", beforeToMs);
        m.put("capacityBefore", capacityBefore);
        m.put("afterFromMs", afterFromMs);
        m.put("afterToMs", afterToMs);
        m.put("capacityAfter", capacityAfter);
        m.put("roundsAfter", roundsAfter);
        m.put("roundRateAfter", Decision.json(roundRateAfter));
        m.put("trainingSeconds", trainingSeconds);
        m.put("capacityDuringTraining", Decision.json(capacityDuringTraining));
        m.put("swapSeconds", swapSeconds);
        m.put("horizonSeconds", horizonSeconds);
        m.put("gainTokens", gainTokens());
        m.put("costTokens", costTokens());
        m.put("value", value());
        return Collections.unmodifiableMap(m);
    }

    /** The inverse of {@link #toMap()} (derived entries are ignored: they are recomputed). */
    public static Reward fromMap(Map<String, ?> m) {
        Object id = m.get("decisionId");
        if (!(id instanceof String s)) {
            throw new IllegalArgumentException("reward map: 'decisionId' is not a string: " + id);
        }
        return new Reward(s, Boolean.TRUE.equals(m.get("update")), FIELDS.integral(m, "beforeFromMs"),
                FIELDS.integral(m, "beforeToMs"), FIELDS.number(m, "capacityBefore"),
                FIELDS.integral(m, "afterFromMs"), FIELDS.integral(m, "afterToMs"), FIELDS.number(m, "capacityAfter"),
                FIELDS.integral(m, "roundsAfter"), FIELDS.numberOr(m, "roundRateAfter", Double.NaN),
                FIELDS.number(m, "trainingSeconds"), FIELDS.numberOr(m, "capacityDuringTraining", Double.NaN),
                FIELDS.number(m, "swapSeconds"), FIELDS.number(m, "horizonSeconds"));
    }
}
