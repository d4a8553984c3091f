package dev.specserve.bandit;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Re-runs a {@link CostAwareBandit} from its decision log, to audit what it decided: an operator (or a
 * test) hands over the logged calls, a fresh bandit with the same configuration, seed and run id makes
 * them again, and every replayed decision is compared with the logged one.
 *
 * <h2>What a replay guarantees</h2>
 * Given the bandit's configuration (seed included), its run id, and the {@code decide} calls (drafter
 * id, context) and {@code realise} calls (decision id, reward) of one bandit instance, each with its
 * sequence number ({@link Decision#sequence()}, {@link Decision#realisedSequence()}), contiguous from 1,
 * the fresh bandit is in the same state before every call as the logged one was. So it makes the same
 * decisions: the same ids, arms and reasons, the same per-arm predicted gain, cost, posterior mean and
 * standard deviation, the same Thompson draws, and it ends with the same posterior
 * ({@link CostAwareBandit#learned}). On the same JVM build and CPU the numbers are equal bit for bit.
 * Elsewhere {@link Math#exp} and {@link Math#log1p} may differ in the last place, so numbers are
 * compared to a relative tolerance (default {@value #DEFAULT_TOLERANCE}); an arm could then differ
 * only where two sampled values tie to within that.
 *
 * <h2>What would break it, and how it is handled</h2>
 * <ul>
 * <li><b>Order.</b> {@code decide} and {@code realise} are called from different threads (a controller
 * realises on a timer, seconds after deciding), and listeners run after the bandit has released its
 * lock: a log can receive a reward after a decision that the bandit made <em>after</em> learning from
 * that reward, and the reverse. Replay never uses the order of the log; it uses the sequence numbers,
 * which the bandit assigns under its lock.</li>
 * <li><b>Gaps.</b> A lost event (a publisher's drop-oldest buffer, topic retention) changes everything
 * after it, and so does {@link CostAwareBandit#forget}, which takes a sequence number but is not
 * logged. Replay stops at the first missing number and says which ({@link Result#gap()}); everything
 * before it is still replayed and compared. A replay always starts from a fresh bandit, so it needs
 * the log from number 1.</li>
 * <li><b>One random stream per instance.</b> Every drafter of an instance draws from the same stream,
 * so the log must hold all its drafters' calls (a subset shows up as gaps).</li>
 * <li><b>Clocks.</b> Contexts hold measured values (e.g. seconds since the last update), replayed as
 * logged. The one clock the bandit reads, {@link Decision#decidedAtMillis()}, influences nothing and
 * is not compared. Reading {@link CostAwareBandit#learned} changes nothing either.</li>
 * <li><b>Duplicates</b> (at-least-once delivery) are dropped when identical; two different calls with
 * one sequence number make the log inconsistent ({@link IllegalArgumentException}).</li>
 * </ul>
 * A reward logged with its inputs ({@link Reward}: windows, capacities, training and swap seconds) is also
 * recomputed from them; a reward that does not follow from its inputs is a divergence.
 * A logged reward the replayed bandit cannot take (unknown or already realised decision) is reported
 * as a divergence and skipped.
 */
public final class DecisionReplay {

    /** Default relative tolerance of numeric comparisons. */
    public static final double DEFAULT_TOLERANCE = 1e-9;

    private DecisionReplay() {
    }

    /** One logged call of a bandit instance. */
    public sealed interface Step permits Decide, Realise {
        /** The call's position in the instance's sequence of state changes, from 1. */
        long sequence();
    }

    /**
     * A {@code decide(drafterId, context)} call.
     *
     * @param logged what the log says was decided, compared with the replayed decision; null to
     *               compare nothing
     */
    public record Decide(long sequence, String drafterId, DecisionContext context, Logged logged) implements Step {
        public Decide {
            requireSequence(sequence);
            Objects.requireNonNull(drafterId, "drafterId");
            Objects.requireNonNull(context, "context");
        }

        /** The call that made {@code d}, with everything {@code d} says as the logged outcome. */
        public static Decide of(Decision d) {
            return new Decide(d.sequence(), d.drafterId(), d.context(), Logged.of(d));
        }
    }

    /**
     * A {@code realise(decisionId, reward)} call.
     *
     * @param inputs how the reward was measured ({@link Reward#toMap()}), or empty; when present the replay
     *               recomputes the reward from them and reports a mismatch as a divergence
     */
    public record Realise(long sequence, String decisionId, double reward, Map<String, Object> inputs) implements Step {
        public Realise {
            requireSequence(sequence);
            Objects.requireNonNull(decisionId, "decisionId");
            if (!Double.isFinite(reward)) {
                throw new IllegalArgumentException("reward must be finite, got " + reward);
            }
            inputs = inputs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        }

        /** A reward without its inputs. */
        public Realise(long sequence, String decisionId, double reward) {
            this(sequence, decisionId, reward, Map.of());
        }

        /** The call that realised {@code d}. */
        public static Realise of(Decision d) {
            if (!d.isRealised()) {
                throw new IllegalArgumentException("decision " + d.id() + " is not realised");
            }
            return new Realise(d.realisedSequence(), d.id(), d.realisedReward().getAsDouble(), d.rewardInputs());
        }
    }

    /**
     * What a log recorded about a decision. A null id or arm, a NaN number and empty maps are not
     * compared.
     *
     * @param posteriorMeans per-arm posterior-mean predicted reward (tokens), by arm name
     * @param posteriorSds   per-arm posterior standard deviation (tokens), by arm name
     */
    public record Logged(String decisionId, String arm, double predictedGain, double predictedCost,
                         Map<String, Double> posteriorMeans, Map<String, Double> posteriorSds) {
        public Logged {
            posteriorMeans = posteriorMeans == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(posteriorMeans));
            posteriorSds = posteriorSds == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(posteriorSds));
        }

        public static Logged of(Decision d) {
            Map<String, Double> sds = new LinkedHashMap<>();
            for (Decision.ArmEstimate e : d.estimates()) {
                sds.put(e.arm().name(), e.posteriorSd());
            }
            return new Logged(d.id(), d.arm().name(), d.predictedGain(), d.predictedCost(), d.posteriorMeans(), sds);
        }
    }

    /** A replayed decision that does not match its log. */
    public record Divergence(long sequence, String decisionId, String what, String logged, String replayed) {
        @Override
        public String toString() {
            return "#" + sequence + " " + decisionId + ": " + what + " logged " + logged + ", replayed " + replayed;
        }
    }

    /**
     * What a replay found.
     *
     * @param decisions      the replayed decisions in the order they were made, each carrying its
     *                       reward if the replayed part of the log realised it
     * @param divergences    where the replay differs from the log
     * @param replayedThrough the last sequence number replayed (0 if none)
     * @param gap            the first missing sequence number, if the log has a gap (steps after it were
     *                       not replayed)
     * @param notReplayed    steps after the gap
     * @param learned        the replayed bandit's learned model per drafter, at the end
     */
    public record Result(List<Decision> decisions, List<Divergence> divergences, long replayedThrough,
                         OptionalLong gap, int notReplayed, Map<String, CostAwareBandit.Learned> learned) {
        public Result {
            decisions = List.copyOf(decisions);
            divergences = List.copyOf(divergences);
            learned = Collections.unmodifiableMap(new LinkedHashMap<>(learned));
        }

        /** True when the whole log was replayed and every decision matched it. */
        public boolean faithful() {
            return divergences.isEmpty() && gap.isEmpty();
        }

        /** The replayed decision with this id. */
        public Decision decision(String id) {
            return decisions.stream().filter(d -> d.id().equals(id)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no replayed decision " + id));
        }
    }

    /** Collects the steps of a live bandit as they happen: {@code bandit.addListener(recorder)}. */
    public static final class Recorder implements DecisionLog {
        private final List<Step> steps = new ArrayList<>();

        @Override
        public synchronized void onDecision(Decision decision) {
            steps.add(Decide.of(decision));
        }

        @Override
        public synchronized void onRealised(Decision decision) {
            steps.add(Realise.of(decision));
        }

        /** The steps in the order the listener received them (not necessarily sequence order). */
        public synchronized List<Step> steps() {
            return List.copyOf(steps);
        }
    }

    /** {@link #replay(BanditConfig, String, Collection, double)} with {@link #DEFAULT_TOLERANCE}. */
    public static Result replay(BanditConfig config, String runId, Collection<? extends Step> steps) {
        return replay(config, runId, steps, DEFAULT_TOLERANCE);
    }

    /**
     * Replays one bandit instance's log.
     *
     * @param config    the instance's configuration, seed included
     * @param runId     the instance's run id (the prefix of its decision ids)
     * @param steps     its logged calls, in any order
     * @param tolerance relative tolerance of numeric comparisons
     * @throws IllegalArgumentException if two different steps share a sequence number
     */
    public static Result replay(BanditConfig config, String runId, Collection<? extends Step> steps, double tolerance) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(runId, "runId");
        if (!(tolerance >= 0)) {
            throw new IllegalArgumentException("tolerance must be >= 0, got " + tolerance);
        }
        TreeMap<Long, Step> bySequence = new TreeMap<>();
        for (Step s : steps) {
            Step before = bySequence.putIfAbsent(s.sequence(), s);
            if (before != null && !before.equals(s)) {
                throw new IllegalArgumentException("inconsistent log: two different steps with sequence number "
                        + s.sequence() + ": " + before + " and " + s);
            }
        }
        CostAwareBandit bandit = new CostAwareBandit(config, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), runId);
        Map<String, Decision> decisions = new LinkedHashMap<>();
        List<Divergence> divergences = new ArrayList<>();
        long expected = 1;
        int replayed = 0;
        for (Step s : bySequence.values()) {
            if (s.sequence() != expected) {
                break;
            }
            if (s instanceof Decide d) {
                Decision made = bandit.decide(d.drafterId(), d.context());
                decisions.put(made.id(), made);
                compare(d, made, tolerance, divergences);
            } else if (s instanceof Realise r) {
                Decision made = decisions.get(r.decisionId());
                try {
                    bandit.realise(r.decisionId(), r.reward(), r.inputs());
                    decisions.put(made.id(), made.withRealised(r.reward(), r.sequence(), r.inputs()));
                    checkReward(r, tolerance, divergences);
                } catch (IllegalArgumentException e) {
                    divergences.add(new Divergence(r.sequence(), r.decisionId(), "realise", "reward " + r.reward(),
                            e.getMessage()));
                    // the live bandit took this call: keep the numbering aligned with the log
                    expected++;
                    replayed++;
                    continue;
                }
            }
            expected++;
            replayed++;
        }
        long through = expected - 1;
        OptionalLong gap = replayed < bySequence.size() ? OptionalLong.of(expected) : OptionalLong.empty();
        Map<String, CostAwareBandit.Learned> learned = new LinkedHashMap<>();
        for (Decision d : decisions.values()) {
            learned.computeIfAbsent(d.drafterId(), id -> bandit.learned(id).orElseThrow());
        }
        return new Result(new ArrayList<>(decisions.values()), divergences, through, gap,
                bySequence.size() - replayed, learned);
    }

    private static void compare(Decide step, Decision made, double tol, List<Divergence> out) {
        long seq = step.sequence();
        String id = made.id();
        if (made.sequence() != seq) {
            out.add(new Divergence(seq, id, "sequence", Long.toString(seq), Long.toString(made.sequence())));
        }
        Logged logged = step.logged();
        if (logged == null) {
            return;
        }
        if (logged.decisionId() != null && !logged.decisionId().equals(id)) {
            out.add(new Divergence(seq, id, "decision id", logged.decisionId(), id));
        }
        if (logged.arm() != null && !logged.arm().equals(made.arm().name())) {
            out.add(new Divergence(seq, id, "arm", logged.arm(), made.arm().name()));
        }
        number(seq, id, "predicted gain", logged.predictedGain(), made.predictedGain(), tol, out);
        number(seq, id, "predicted cost", logged.predictedCost(), made.predictedCost(), tol, out);
        for (Map.Entry<String, Double> e : logged.posteriorMeans().entrySet()) {
            number(seq, id, "posterior mean of " + e.getKey(), e.getValue(), estimate(made, e.getKey(), true), tol, out);
        }
        for (Map.Entry<String, Double> e : logged.posteriorSds().entrySet()) {
            number(seq, id, "posterior sd of " + e.getKey(), e.getValue(), estimate(made, e.getKey(), false), tol, out);
        }
    }

    /** A reward logged with its inputs must be what those inputs give. */
    private static void checkReward(Realise r, double tol, List<Divergence> out) {
        if (r.inputs().isEmpty()) {
            return;
        }
        double recomputed;
        try {
            recomputed = Reward.fromMap(r.inputs()).value();
        } catch (IllegalArgumentException e) {
            out.add(new Divergence(r.sequence(), r.decisionId(), "reward inputs", r.inputs().toString(), e.getMessage()));
            return;
        }
        if (!close(r.reward(), recomputed, tol)) {
            out.add(new Divergence(r.sequence(), r.decisionId(), "reward from its inputs", Double.toString(r.reward()),
                    Double.toString(recomputed)));
        }
    }

    private static double estimate(Decision d, String arm, boolean mean) {
        for (Decision.ArmEstimate e : d.estimates()) {
            if (e.arm().name().equals(arm)) {
                return mean ? e.posteriorMean() : e.posteriorSd();
            }
        }
        return Double.NaN;
    }

    private static void number(long seq, String id, String what, Double logged, double replayed, double tol,
                               List<Divergence> out) {
        if (logged == null || logged.isNaN()) {
            return;
        }
        if (!close(logged, replayed, tol)) {
            out.add(new Divergence(seq, id, what, Double.toString(logged), Double.toString(replayed)));
        }
    }

    /** Equal to a relative tolerance (absolute below magnitude 1); NaN equals NaN. */
    static boolean close(double a, double b, double tol) {
        if (Double.compare(a, b) == 0) {
            return true;
        }
        return Math.abs(a - b) <= tol * Math.max(1.0, Math.max(Math.abs(a), Math.abs(b)));
    }

    private static void requireSequence(long sequence) {
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence numbers start at 1, got " + sequence);
        }
    }
}
