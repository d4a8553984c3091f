package dev.specserve.bandit;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.UUID;

/**
 * Decides, per drafter and decision epoch, whether and how much to update the drafter, trading the
 * throughput an update wins back against the throughput it costs.
 *
 * <h2>Structural prior (the cost model)</h2>
 * {@link StructuralModel}: for an update arm of s steps, predicted gain = Δτ × r̄ × max(0, H − T − swap) and
 * predicted cost = τ × r̄ × (share × pressure × T + swap), both in tokens of capacity (τ × r̄, what the engine
 * serves at saturation), T = overhead + s × secondsPerStep (measured by {@link UpdateCostModel}). The realised
 * {@link Reward} uses the same definitions, measured.
 *
 * <h2>Decision rule</h2>
 * Thompson sampling on a Bayesian linear model of the residual between the realised reward and the cost
 * model, kept per drafter, with the cost model as its prior mean: before any data the posterior-mean
 * prediction is exactly the structural prior. An update needs {@code minFreshSamples} fresh samples, and one
 * that no model says pays is exploratory, eligible only within the {@link ExplorationBudget}; ties go to
 * waiting. {@link ThompsonRule} has the model, the rules and the regret bounds.
 *
 * <h2>Protocol</h2>
 * {@link #decide} returns a {@link Decision} (and tells every {@link DecisionLog}); the caller acts
 * on it and, once the decision's reward window has been served, calls {@link #realise} with the
 * {@link Reward} measured in event time ({@link RewardWindows}).
 * Unrealised decisions beyond {@code maxPending} are dropped, oldest first. Thread-safe: one lock
 * guards the state, and listeners are called outside it.
 *
 * <h2>Replay</h2>
 * Apart from {@link Decision#decidedAtMillis()}, a bandit is a deterministic function of its
 * configuration (seed included), its run id and the sequence of its calls. Each state change takes the
 * next sequence number under the lock, and decisions carry theirs, so a log of decisions and rewards
 * says in which order they were applied even when listeners receive them in another order;
 * {@link DecisionReplay} re-runs a log and checks it.
 */
public final class CostAwareBandit {

    private final BanditConfig config;
    private final ResidualLayout layout;
    private final ThompsonRule rule;
    private final Clock clock;
    private final String runId;
    private final Object lock = new Object();
    private final DrafterModels drafters;
    private final PendingDecisions pending;
    private final DecisionListeners listeners = new DecisionListeners();
    /** State changes so far (decide, realise, forget); see {@link Decision#sequence()}. */
    private long sequence;

    public CostAwareBandit(BanditConfig config) {
        this(config, Clock.systemUTC(), UUID.randomUUID().toString().substring(0, 8));
    }

    /**
     * @param config the configuration
     * @param clock  time source for {@link Decision#decidedAtMillis()}
     * @param runId  prefix of decision ids, unique per bandit instance ({@code [A-Za-z0-9_.-]+})
     */
    public CostAwareBandit(BanditConfig config, Clock clock, String runId) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.runId = Objects.requireNonNull(runId, "runId");
        if (!runId.matches("[A-Za-z0-9_.\\-]+")) {
            throw new IllegalArgumentException("runId must match [A-Za-z0-9_.-]+: '" + runId + "'");
        }
        this.layout = new ResidualLayout(config);
        this.rule = new ThompsonRule(config, layout);
        this.drafters = new DrafterModels(layout, config.tuning());
        this.pending = new PendingDecisions(config.tuning().maxPending());
    }

    public BanditConfig config() {
        return config;
    }

    /** The prefix of this instance's decision ids. */
    public String runId() {
        return runId;
    }

    /**
     * How many state changes this instance has made: every {@code decide}, every successful
     * {@code realise} and every {@code forget} takes the next number. Decisions carry theirs
     * ({@link Decision#sequence()}, {@link Decision#realisedSequence()}); a {@code forget} is not
     * reported to listeners, so it shows in a log as a missing number.
     */
    public long sequence() {
        synchronized (lock) {
            return sequence;
        }
    }

    /** Dimension of the joint learned parameter vector. */
    public int featureDimension() {
        return layout.dimension();
    }

    public void addListener(DecisionLog listener) {
        listeners.add(listener);
    }

    public void removeListener(DecisionLog listener) {
        listeners.remove(listener);
    }

    /** Decides for one drafter at one epoch. */
    public Decision decide(String drafterId, DecisionContext ctx) {
        Objects.requireNonNull(drafterId, "drafterId");
        Objects.requireNonNull(ctx, "ctx");
        if (drafterId.isBlank()) {
            throw new IllegalArgumentException("drafterId must not be blank");
        }
        Decision decision;
        synchronized (lock) {
            DrafterState st = drafters.stateFor(drafterId);
            long seq = ++sequence;
            st.epoch++;
            ThompsonRule.Choice c = rule.choose(st, ctx);
            String id = runId + ":" + drafterId + ":" + st.epoch;
            decision = new Decision(id, drafterId, st.epoch, clock.millis(), ctx, c.arm(), c.reason(), c.gain(),
                    c.cost(), c.scale(), c.rBar(), c.estimates(), OptionalDouble.empty(), seq, 0);
            pending.add(new PendingDecisions.Pending(st, c.features(), c.gain() - c.cost(), c.scale(), decision));
        }
        listeners.decided(decision);
        return decision;
    }

    /**
     * Reports the realised reward of a decision, in tokens:
     * (tokens/s in the window after − tokens/s before) × horizon − realised update cost.
     *
     * @throws IllegalArgumentException if the id is unknown, already realised or expired, or the
     *                                  reward is not finite
     */
    public void realise(String decisionId, double realisedReward) {
        realise(decisionId, realisedReward, Map.of());
    }

    /** Reports a reward measured in event time; its windows and inputs travel with the realised decision. */
    public void realise(Reward reward) {
        realise(reward.decisionId(), reward.value(), reward.toMap());
    }

    /** Reports a realised reward (tokens) with the inputs it was computed from (logged, not used). */
    public void realise(String decisionId, double realisedReward, Map<String, Object> rewardInputs) {
        Objects.requireNonNull(decisionId, "decisionId");
        if (!Double.isFinite(realisedReward)) {
            throw new IllegalArgumentException("realisedReward must be finite, got " + realisedReward);
        }
        Decision realised;
        synchronized (lock) {
            PendingDecisions.Pending p = pending.take(decisionId);
            p.learn(realisedReward, config.tuning().residualClip());
            realised = p.decision().withRealised(realisedReward, ++sequence, rewardInputs);
        }
        listeners.realised(realised);
    }

    /**
     * Abandons a pending decision whose reward could not be measured (its windows saw too few rounds), teaching
     * nothing; false when it was not pending. Without this an idle server's decisions filled the pending set.
     */
    public boolean abandon(String decisionId) {
        synchronized (lock) {
            return pending.forget(decisionId);
        }
    }

    /** Decisions awaiting their reward. */
    public int pendingCount() {
        synchronized (lock) {
            return pending.size();
        }
    }

    /** Decisions dropped unrealised because more than {@code maxPending} were waiting. */
    public long expiredCount() {
        synchronized (lock) {
            return pending.expired();
        }
    }

    /**
     * What the bandit has learned about a drafter, for audits and replays: the posterior mean of the
     * learned residual θ (relative units, in {@link #featureDimension()} order), the noise variance in
     * use and the number of realised rewards. Empty for a drafter never decided for.
     *
     * <p>Reading it changes nothing: it is the posterior the next decision would use. (The noise
     * variance is refined by one fixed-point step each time a decision follows new rewards, so a
     * reader that triggered that step itself would make the bandit's numbers depend on when it was
     * read.)
     */
    public Optional<Learned> learned(String drafterId) {
        synchronized (lock) {
            return drafters.learned(drafterId);
        }
    }

    /**
     * A snapshot of a drafter's learned model.
     *
     * @param observations  realised rewards learned from
     * @param noiseVariance the reward noise variance the posterior uses (relative units²)
     * @param mean          posterior mean of θ (relative units)
     */
    public record Learned(long observations, double noiseVariance, List<Double> mean) {
        public Learned {
            mean = List.copyOf(mean);
        }
    }

    /** Realised rewards the drafter's model has learned from. */
    public long observations(String drafterId) {
        synchronized (lock) {
            return drafters.observations(drafterId);
        }
    }

    /**
     * Forgets everything learned about a drafter (e.g. when it is replaced by a new model) and drops
     * its unrealised decisions. Its epoch counter carries on, so decision ids never repeat.
     */
    public void forget(String drafterId) {
        synchronized (lock) {
            DrafterState st = drafters.forget(drafterId);
            if (st != null) {
                sequence++;
                pending.dropAll(st);
            }
        }
    }
}
