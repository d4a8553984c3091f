package dev.specserve.bandit;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <h2>Learned residual: Thompson sampling on a Bayesian linear model</h2>
 * The realised reward R of arm a in context c is modelled as
 * <pre>  R = (gain_a − cost_a) + S · (β·φ(c) + δ_a·ψ_a(c)) + noise</pre>
 * where S = max(τ_now, 1) × r̄ × H is the horizon's throughput (so the learned part is in relative,
 * load-independent units);
 * φ = [1, drift, Δτ gap, log fresh samples, load pressure, time since update] is shared by all
 * arms: β learns the change in throughput that every arm sees whatever it does (drift, traffic
 * mix), chiefly from the frequent wait decisions; and
 * ψ_a = [1, drift, log fresh samples, gain_a/S, cost_a/S] is the arm's own block: δ_a learns how
 * the arm's effect departs from the cost model, including multiplicative corrections of its
 * predicted gain and cost. The wait arm has no own block. The arm block is deliberately lean: the
 * context features that mostly move the baseline (gap, load, time since update) stay in φ, which
 * keeps δ_a from soaking up the baseline's misfit and lets what one load level teaches carry over
 * to another through the gain and cost multipliers.
 * β and all δ_a form one vector θ (D = 6 + 5 × number of update arms; 16 for the default arms) with
 * prior N(0, diag(priorVariance, …, structuralPriorVariance for the multipliers)); given the noise
 * variance the posterior is Gaussian in closed form. The noise variance is estimated from the
 * residuals (empirical Bayes; {@code noiseVariance} is the prior guess, worth 10 observations), so
 * exploration shrinks as fast as the real measurement noise allows. The model is kept per drafter.
 * At each epoch one θ̃ is drawn from the posterior (Cholesky factor of the precision matrix,
 * Commons Math). Each eligible arm is scored by its structural value plus S·θ̃·x_a, and the best
 * score wins (ties go to waiting). Before any data the residual's posterior mean is 0, so the
 * posterior-mean prediction is exactly the structural prior.
 *
 * <h2>Eligibility and exploration</h2>
 * Thompson sampling runs over every arm; the structural model is the prior mean, not a gate. Two rules bound it:
 * no update without {@code minFreshSamples} fresh samples (≥ 1; nothing overrides this), and an update that
 * neither the cost model (gain &gt; cost) nor the learned model (posterior-mean advantage &gt;
 * {@code learnedGateSigmas} posterior sds) says pays is <em>exploratory</em> and is eligible only within the
 * {@link ExplorationBudget}. Before any data, with a zero budget, the rule is exactly "never update when predicted
 * gain ≤ predicted cost". The wait arm is always eligible; when no update arm is, it is chosen without sampling.
 *
 * <p><b>Why Thompson sampling rather than LinUCB.</b> (1) Rewards arrive late, after a window of
 * serving, while later epochs are being decided: a deterministic index such as LinUCB repeats the
 * same choice until feedback comes, whereas Thompson sampling randomises across pending decisions.
 * (2) The conjugate Gaussian model makes the structural prior a natural prior mean, and leaves one
 * knob with a meaning (the prior variance of the residual, relative to a horizon's throughput)
 * instead of an exploration constant to tune. (3) The shared β and per-arm δ need a joint
 * posterior, which a single sample handles with no extra machinery. (4) Its regret guarantees
 * match LinUCB's.
 *
 * <p><b>Regret.</b> For linear Thompson sampling with a D-dimensional joint feature vector, the
 * Bayesian regret over N epochs is O(D·√(N·log N)) (Russo &amp; Van Roy 2014), and the frequentist
 * regret is Õ(D^{3/2}·√N) (Agrawal &amp; Goyal 2013). Both are relative to the best arm in each
 * context, for rewards that the model class can represent; an arm that the eligibility rules
 * exclude can add regret linear in the epochs where it would have been best. The unit tests check,
 * on a simulated deployment with independent epochs, that the expected regret against the truly
 * best arm satisfies regret(N) ≤ 0.1 · S* · √(N ln N), where S* is the horizon throughput of a
 * fully adapted drafter (measured regret(N)/√(N ln N) is 0.012–0.045 over seeds 1–12 and N ≤ 4096),
 * and that regret(N)/N falls with N.
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

    private static final Logger LOG = LoggerFactory.getLogger(CostAwareBandit.class);

    private final BanditConfig config;
    private final BanditConfig.Tuning tuning;
    private final StructuralModel model;
    private final List<Arm> arms;
    private final int waitIndex;
    private final int[] blockOffset;
    private final double[] priorVariance;
    private final RandomGenerator rng;
    private final Clock clock;
    private final String runId;
    private final Object lock = new Object();
    private final Map<String, DrafterState> drafters = new HashMap<>();
    private final LinkedHashMap<String, Pending> pending = new LinkedHashMap<>();
    private final List<DecisionLog> listeners = new CopyOnWriteArrayList<>();
    private long expired;
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
        this.tuning = config.tuning();
        this.model = new StructuralModel(config);
        this.arms = config.arms();
        this.blockOffset = new int[arms.size()];
        int wait = -1;
        int offset = StructuralModel.BASE_DIM;
        for (int i = 0; i < arms.size(); i++) {
            if (arms.get(i).isWait()) {
                wait = i;
                blockOffset[i] = -1;
            } else {
                blockOffset[i] = offset;
                offset += StructuralModel.ARM_DIM;
            }
        }
        this.waitIndex = wait;
        this.priorVariance = new double[offset];
        java.util.Arrays.fill(priorVariance, config.priorVariance());
        for (int i = 0; i < arms.size(); i++) {
            if (blockOffset[i] >= 0) {
                int multipliers = blockOffset[i] + StructuralModel.ARM_BASE.length;
                priorVariance[multipliers] = tuning.structuralPriorVariance();
                priorVariance[multipliers + 1] = tuning.structuralPriorVariance();
            }
        }
        this.rng = new Well19937c(config.seed());
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
        return priorVariance.length;
    }

    public void addListener(DecisionLog listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
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
            decision = decideLocked(drafterId, ctx);
        }
        for (DecisionLog l : listeners) {
            try {
                l.onDecision(decision);
            } catch (RuntimeException e) {
                LOG.warn("DecisionLog {} failed on decision {}", l, decision.id(), e);
            }
        }
        return decision;
    }

    private Decision decideLocked(String drafterId, DecisionContext ctx) {
        DrafterState st = drafters.computeIfAbsent(drafterId, id -> new DrafterState(newModel(), new ExplorationBudget(tuning)));
        long seq = ++sequence;
        st.epoch++;
        double w = tuning.loadForecastWeight();
        st.forecast = Double.isNaN(st.forecast)
                ? ctx.roundsPerSecond()
                : (1 - w) * st.forecast + w * ctx.roundsPerSecond();
        double rBar = Double.isNaN(ctx.horizonRoundsPerSecond()) ? st.forecast : ctx.horizonRoundsPerSecond();
        double horizon = config.horizonSeconds();
        double scale = Math.max(1.0, Math.max(ctx.tauNow(), 1.0) * rBar * horizon);
        double pressure = model.pressure(ctx);
        double[] base = model.baseFeatures(ctx, pressure);

        int n = arms.size();
        double[] gain = new double[n];
        double[] cost = new double[n];
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            Arm arm = arms.get(i);
            if (!arm.isWait()) {
                gain[i] = model.predictedGain(arm, ctx, rBar);
                cost[i] = model.predictedCost(arm, ctx, rBar, pressure);
            }
            x[i] = model.jointFeatures(priorVariance.length, blockOffset[i], base, gain[i] / scale, cost[i] / scale);
        }

        BayesianLinearModel.Posterior post = st.model.posterior();
        boolean freshEnough = ctx.freshSamples() >= tuning.minFreshSamples();
        boolean[] eligible = new boolean[n];
        boolean[] exploratory = new boolean[n];
        double[] advantage = new double[n];
        double waitMean = post.mean(x[waitIndex]);
        boolean anyUpdate = false;
        for (int i = 0; i < n; i++) {
            if (i == waitIndex) {
                eligible[i] = true;
                continue;
            }
            // posterior-mean advantage over waiting: cost model plus the arm's learned correction
            advantage[i] = gain[i] - cost[i] + scale * (post.mean(x[i]) - waitMean);
            double advantageSd = scale * Math.sqrt(post.variance(StructuralModel.diff(x[i], x[waitIndex])));
            boolean pays = gain[i] > cost[i]
                    || (advantage[i] > 0 && advantage[i] > tuning.learnedGateSigmas() * advantageSd);
            exploratory[i] = !pays;
            eligible[i] = freshEnough && (pays || st.exploration.allows(st.epoch, cost[i], scale));
            anyUpdate |= eligible[i];
        }
        double[] theta = anyUpdate ? post.sample(rng) : null;
        List<Decision.ArmEstimate> estimates = new ArrayList<>(n);
        double[] sampled = new double[n];
        for (int i = 0; i < n; i++) {
            double structural = gain[i] - cost[i];
            double mean = structural + scale * post.mean(x[i]);
            double sd = scale * Math.sqrt(Math.max(0, post.variance(x[i])));
            sampled[i] = (theta != null && eligible[i])
                    ? structural + scale * BayesianLinearModel.dot(theta, x[i]) : Double.NaN;
            estimates.add(new Decision.ArmEstimate(arms.get(i), eligible[i], gain[i], cost[i], advantage[i],
                    mean, sd, sampled[i]));
        }
        int best = waitIndex;
        if (theta != null) {
            // wait first, strict '>': ties go to not updating
            double bestValue = sampled[waitIndex];
            for (int i = 0; i < n; i++) {
                if (eligible[i] && sampled[i] > bestValue) {
                    best = i;
                    bestValue = sampled[i];
                }
            }
        }
        Decision.Reason reason = !anyUpdate
                ? (freshEnough ? Decision.Reason.NO_PROFITABLE_UPDATE : Decision.Reason.NO_FRESH_SAMPLES)
                : exploratory[best] ? Decision.Reason.EXPLORATION : Decision.Reason.THOMPSON_SAMPLE;
        if (exploratory[best]) {
            st.exploration.spent(st.epoch);
        }
        String id = runId + ":" + drafterId + ":" + st.epoch;
        Decision d = new Decision(id, drafterId, st.epoch, clock.millis(), ctx, arms.get(best), reason,
                gain[best], cost[best], scale, rBar, estimates, OptionalDouble.empty(), seq, 0);
        pending.put(id, new Pending(st, x[best], gain[best] - cost[best], scale, d));
        if (pending.size() > tuning.maxPending()) {
            Iterator<Map.Entry<String, Pending>> it = pending.entrySet().iterator();
            String old = it.next().getKey();
            it.remove();
            expired++;
            LOG.warn("dropping unrealised decision {} ({} pending max)", old, tuning.maxPending());
        }
        return d;
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
            Pending p = pending.remove(decisionId);
            if (p == null) {
                throw new IllegalArgumentException("unknown, expired or already realised decision id " + decisionId);
            }
            double clip = tuning.residualClip();
            double y = (realisedReward - p.structural) / p.scale;
            y = Math.max(-clip, Math.min(clip, y));
            p.state.model.update(p.features, y);
            realised = p.decision.withRealised(realisedReward, ++sequence, rewardInputs);
        }
        for (DecisionLog l : listeners) {
            try {
                l.onRealised(realised);
            } catch (RuntimeException e) {
                LOG.warn("DecisionLog {} failed on realised decision {}", l, realised.id(), e);
            }
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
            return expired;
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
    public java.util.Optional<Learned> learned(String drafterId) {
        synchronized (lock) {
            DrafterState st = drafters.get(drafterId);
            if (st == null) {
                return java.util.Optional.empty();
            }
            BayesianLinearModel.Posterior post = st.model.peekPosterior();
            List<Double> mean = new ArrayList<>();
            for (double v : post.mean()) {
                mean.add(v);
            }
            return java.util.Optional.of(new Learned(st.model.observations(), post.noiseVariance(), mean));
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
            DrafterState st = drafters.get(drafterId);
            return st == null ? 0 : st.model.observations();
        }
    }

    /**
     * Forgets everything learned about a drafter (e.g. when it is replaced by a new model) and drops
     * its unrealised decisions. Its epoch counter carries on, so decision ids never repeat.
     */
    public void forget(String drafterId) {
        synchronized (lock) {
            DrafterState st = drafters.get(drafterId);
            if (st != null) {
                sequence++;
                pending.values().removeIf(p -> p.state == st);
                st.model = newModel();
                st.forecast = Double.NaN;
            }
        }
    }

    private BayesianLinearModel newModel() {
        return new BayesianLinearModel(priorVariance, config.noiseVariance(), tuning.discount());
    }

    private static final class DrafterState {
        BayesianLinearModel model;
        long epoch;
        double forecast = Double.NaN;
        final ExplorationBudget exploration;

        DrafterState(BayesianLinearModel model, ExplorationBudget exploration) {
            this.exploration = exploration;
            this.model = model;
        }
    }

    private record Pending(DrafterState state, double[] features, double structural, double scale,
                           Decision decision) {
    }
}
