package dev.specserve.bandit;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reward windows of one drafter's decisions, in event time, and the {@link Reward}s they yield once the
 * rounds that fall in them have arrived.
 *
 * <ul>
 * <li><b>Baseline.</b> Capacity over {@code baselineMs} before the decision, clipped to start after the last
 * swap, so a wait right after an update is neither credited with that update's gain nor measured against the
 * capacity its training took.</li>
 * <li><b>Wait.</b> Its effect window is its own epoch: from the decision to the next decision.</li>
 * <li><b>Update.</b> Training runs from the decision to {@link #trained}; the capacity measured meanwhile gives
 * the capacity training took. Its effect window runs from the end of the update to the next update decision,
 * or for at most the horizon.</li>
 * </ul>
 * So no two decisions' effect windows overlap in the same role, and a window is closed when the next decision
 * (or the horizon) ends it. A reward is ready once the watermark (newest round seen) has passed the window's end
 * by {@code latenessMs}, or, when rounds stop coming, once the wall clock has passed it by ten times that. A
 * window with fewer than {@code minRounds} rounds yields no reward (it is counted by {@link #unmeasured()}).
 *
 * <p>Not thread-safe: one caller (the decision loop) drives it.
 */
public final class RewardWindows {
    private final CapacityMeter meter;
    private final double horizonSeconds;
    private final long baselineMs;
    private final long latenessMs;
    private final int minRounds;
    private final Map<String, Open> open = new LinkedHashMap<>();
    private Open lastDecision;
    private Open lastUpdate;
    private long lastSwapEndMs = Long.MIN_VALUE;
    private long unmeasured;
    private final List<String> unmeasuredIds = new ArrayList<>();

    private static final class Open {
        final String id;
        final boolean update;
        final long atMs;
        final long beforeFromMs;
        long trainedAtMs = -1;
        double trainingSeconds;
        double swapSeconds;
        long endMs = -1;

        Open(String id, boolean update, long atMs, long beforeFromMs) {
            this.id = id;
            this.update = update;
            this.atMs = atMs;
            this.beforeFromMs = beforeFromMs;
        }
    }

    public RewardWindows(CapacityMeter meter, double horizonSeconds, long baselineMs, long latenessMs, int minRounds) {
        this.meter = meter;
        this.horizonSeconds = horizonSeconds;
        this.baselineMs = baselineMs;
        this.latenessMs = latenessMs;
        this.minRounds = minRounds;
    }

    /** A decision made at {@code atMs} (event time); it closes the previous decision's window as its rules say. */
    public void decided(String id, boolean update, long atMs) {
        if (lastDecision != null && !lastDecision.update && lastDecision.endMs < 0) {
            lastDecision.endMs = Math.max(lastDecision.atMs, atMs);
        }
        if (update && lastUpdate != null && lastUpdate.endMs < 0) {
            lastUpdate.endMs = Math.max(lastUpdate.trainedAtMs < 0 ? lastUpdate.atMs : lastUpdate.trainedAtMs, atMs);
        }
        Open o = new Open(id, update, atMs, Math.max(atMs - baselineMs, lastSwapEndMs));
        open.put(id, o);
        lastDecision = o;
        if (update) {
            lastUpdate = o;
        }
    }

    /**
     * An update finished at {@code endMs}: trained for {@code trainingSeconds} and, when {@code swapped}, swapped in
     * with a stall of {@code swapSeconds}.
     */
    public void trained(String id, long endMs, double trainingSeconds, boolean swapped, double swapSeconds) {
        Open o = open.get(id);
        if (o == null || !o.update) {
            return;
        }
        o.trainedAtMs = Math.max(o.atMs, endMs);
        o.trainingSeconds = trainingSeconds;
        o.swapSeconds = swapped ? swapSeconds : 0;
        if (swapped) {
            lastSwapEndMs = Math.max(lastSwapEndMs, o.trainedAtMs);
        }
    }

    /**
     * True while the last update is still training or has not yet been seen serving (by the watermark) for half
     * the shorter of the baseline window and the horizon: a decision now would end its window before anything measured it, so callers hold the
     * next decision until then.
     */
    public boolean settling() {
        if (lastUpdate == null || lastUpdate.endMs >= 0) {
            return false;
        }
        long settle = Math.min(baselineMs, (long) (horizonSeconds * 1000)) / 2;
        return lastUpdate.trainedAtMs < 0 || meter.watermarkMs() < lastUpdate.trainedAtMs + settle;
    }

    /** Rewards whose windows have closed and whose rounds have arrived; each is returned once. */
    public List<Reward> ready(long nowMs) {
        long watermark = meter.watermarkMs();
        List<Reward> out = new ArrayList<>();
        for (Iterator<Open> it = open.values().iterator(); it.hasNext(); ) {
            Open o = it.next();
            if (o.update && o.trainedAtMs < 0) {
                continue;
            }
            long afterFrom = o.update ? o.trainedAtMs : o.atMs;
            long end = o.endMs >= 0 ? o.endMs : afterFrom + (long) (horizonSeconds * 1000);
            end = Math.min(end, afterFrom + (long) (horizonSeconds * 1000));
            if (watermark < end + latenessMs && nowMs < end + 10 * latenessMs) {
                continue;
            }
            it.remove();
            CapacityMeter.Window before = meter.over(o.beforeFromMs, o.atMs);
            CapacityMeter.Window after = meter.over(afterFrom, end);
            // a window with no busy time has no capacity (NaN): unmeasured too, not a reward the bandit refuses
            if (before.rounds() < minRounds || after.rounds() < minRounds
                    || !Double.isFinite(before.capacity()) || !Double.isFinite(after.capacity())) {
                unmeasured++;
                unmeasuredIds.add(o.id);
                continue;
            }
            double during = o.update ? meter.over(o.atMs, o.trainedAtMs).capacity() : Double.NaN;
            out.add(new Reward(o.id, o.update, o.beforeFromMs, o.atMs, before.capacity(), afterFrom, end,
                    after.capacity(), after.rounds(), after.roundRate(), o.update ? o.trainingSeconds : 0, during,
                    o.swapSeconds, horizonSeconds));
        }
        return out;
    }

    /** The decisions found unmeasured ({@link #unmeasured}) since the last call, each once: for the bandit to abandon. */
    public List<String> takeUnmeasured() {
        List<String> ids = List.copyOf(unmeasuredIds);
        unmeasuredIds.clear();
        return ids;
    }

    /** Decisions whose windows held too few rounds, or no busy time, so no reward could be measured. */
    public long unmeasured() {
        return unmeasured;
    }

    /** Decisions whose reward is not ready yet. */
    public int openCount() {
        return open.size();
    }
}
