package dev.specserve.controller.adaptbench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What happened during one policy's run, in order: every verification round (when, in which phase, how many
 * tokens, with which drafter version) and the events derived from them. A swap is a round whose version
 * differs from the last round that used the drafter; version ids only grow, so a change to a lower id is a
 * rollback. Version 0 is a round without the drafter (a planner's plain step or a lookup-only tree): it marks
 * nothing, and {@code versions_used} leaves it out. An update is
 * an increase of the controller's update count, polled by the caller. Times are seconds since the run start,
 * supplied by the caller, so the derivation needs no clock.
 */
public final class Timeline {
    /**
     * One verification round: {@code tokens} is accepted length + 1, the τ of that round; {@code nodes} the tree
     * nodes verified (0: a plain step), {@code draftMs} and {@code verifyMs} where its time went (NaN: unknown).
     */
    public record Round(double seconds, String phase, int tokens, long version, int nodes, double draftMs,
                        double verifyMs) {}

    /** A change of the drafter version between two consecutive rounds. */
    public record VersionChange(double seconds, long from, long to) {}

    /** One update (training, shadow check, maybe a swap), from when its training started to when it ended. */
    public record Update(double started, double finished) {}

    /**
     * A phase of the scenario, from its first round to the next phase's first round (or its own last); the
     * first phase starts with the run, at 0, as its requests are submitted then.
     */
    public record PhaseSpan(String name, double start, double end) {}

    /** A point of a moving average. */
    public record Point(double seconds, double value) {}

    private final List<Round> rounds = new ArrayList<>();
    private final List<VersionChange> swaps = new ArrayList<>();
    private final List<VersionChange> rollbacks = new ArrayList<>();
    private final List<Update> updates = new ArrayList<>();
    private long lastVersion;
    private int updatesSeen;
    private double trainingSecondsSeen;

    /**
     * Records a round; a version different from the last drafter round's marks a swap or a rollback, and
     * version 0 (no drafter in this round) marks nothing.
     */
    public void round(double seconds, String phase, int tokens, long version) {
        round(new Round(seconds, phase, tokens, version, 0, Double.NaN, Double.NaN));
    }

    /** Records a round with its cost; see {@link #round(double, String, int, long)}. */
    public synchronized void round(Round r) {
        double seconds = r.seconds();
        long version = r.version();
        if (version != 0) {
            if (lastVersion != 0 && version > lastVersion) {
                swaps.add(new VersionChange(seconds, lastVersion, version));
            } else if (lastVersion != 0 && version < lastVersion) {
                rollbacks.add(new VersionChange(seconds, lastVersion, version));
            }
            lastVersion = version;
        }
        rounds.add(r);
    }

    /**
     * Records the controller's cumulative update count and training seconds as seen at {@code seconds}. Each
     * update since the last poll ends now; new training seconds are shared evenly among them.
     */
    public synchronized void updatesSoFar(double seconds, int count, double trainingSeconds) {
        int fresh = count - updatesSeen;
        if (fresh <= 0) {
            return;
        }
        double each = (trainingSeconds - trainingSecondsSeen) / fresh;
        for (int i = 0; i < fresh; i++) {
            updates.add(new Update(Math.max(0, seconds - each), seconds));
        }
        updatesSeen = count;
        trainingSecondsSeen = trainingSeconds;
    }

    public synchronized List<Round> rounds() {
        return List.copyOf(rounds);
    }

    public synchronized List<VersionChange> swaps() {
        return List.copyOf(swaps);
    }

    public synchronized List<VersionChange> rollbacks() {
        return List.copyOf(rollbacks);
    }

    public synchronized List<Update> updates() {
        return List.copyOf(updates);
    }

    /** When the last recorded thing happened: a round, or an update that finished after the last round. */
    public synchronized double lastSeconds() {
        double last = rounds.isEmpty() ? 0 : rounds.get(rounds.size() - 1).seconds();
        return updates.isEmpty() ? last : Math.max(last, updates.get(updates.size() - 1).finished());
    }

    /** Consecutive rounds of one phase, in order of appearance. */
    public synchronized List<PhaseSpan> phases() {
        List<PhaseSpan> spans = new ArrayList<>();
        int first = 0;
        for (int i = 1; i <= rounds.size(); i++) {
            if (i == rounds.size() || !rounds.get(i).phase().equals(rounds.get(first).phase())) {
                double end = rounds.get(i == rounds.size() ? i - 1 : i).seconds();
                double start = spans.isEmpty() ? 0 : rounds.get(first).seconds();
                spans.add(new PhaseSpan(rounds.get(first).phase(), start, end));
                first = i;
            }
        }
        return spans;
    }

    /** τ averaged over the last {@code window} rounds (fewer at the start), one point per round. */
    public synchronized List<Point> movingTau(int window) {
        List<Point> points = new ArrayList<>(rounds.size());
        long sum = 0;
        for (int i = 0; i < rounds.size(); i++) {
            sum += rounds.get(i).tokens();
            if (i >= window) {
                sum -= rounds.get(i - window).tokens();
            }
            points.add(new Point(rounds.get(i).seconds(), (double) sum / Math.min(i + 1, window)));
        }
        return points;
    }

    /** Each phase's rounds, split by plain steps and drafted rounds. */
    public synchronized Map<String, PhaseRounds> phaseRounds() {
        return PhaseRounds.byPhase(rounds);
    }

    /** How many updates started in each phase (a phase with none is listed with 0). */
    public synchronized Map<String, Integer> updatesByPhase() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        List<PhaseSpan> spans = phases();
        spans.forEach(p -> counts.merge(p.name(), 0, Integer::sum));
        for (Update u : updates) {
            String phase = spans.isEmpty() ? "none" : spans.get(spans.size() - 1).name();
            for (PhaseSpan p : spans) {
                if (u.started() < p.end()) {
                    phase = p.name();
                    break;
                }
            }
            counts.merge(phase, 1, Integer::sum);
        }
        return counts;
    }

    /** A few numbers for the JSON results (the rounds themselves go to the CSV). */
    public synchronized Map<String, Object> summary() {
        Set<Long> versions = new LinkedHashSet<>();
        rounds.stream().filter(r -> r.version() != 0).forEach(r -> versions.add(r.version()));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rounds", rounds.size());
        out.put("versions_used", List.copyOf(versions));
        out.put("updates_by_phase", updatesByPhase());
        if (!swaps.isEmpty()) {
            out.put("first_swap_s", Math.round(swaps.get(0).seconds() * 1000) / 1000.0);
        }
        return out;
    }
}
