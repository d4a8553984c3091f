package dev.specserve.bandit;

import java.util.ArrayList;
import java.util.List;

import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;

/**
 * The bandit's decision rule: Thompson sampling over the arms, with the {@link StructuralModel} as the prior mean
 * and an {@link ExplorationBudget} bounding updates that no model says pay.
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
 * fully adapted drafter, and that regret(N)/N falls with N.
 *
 * <p>One seeded generator serves every drafter, so the draws depend on the order of decisions. Not thread-safe;
 * the bandit guards it.
 */
final class ThompsonRule {
    private final BanditConfig config;
    private final BanditConfig.Tuning tuning;
    private final StructuralModel model;
    private final ResidualLayout layout;
    private final List<Arm> arms;
    private final RandomGenerator rng;

    ThompsonRule(BanditConfig config, ResidualLayout layout) {
        this.config = config;
        this.tuning = config.tuning();
        this.model = new StructuralModel(config);
        this.layout = layout;
        this.arms = config.arms();
        this.rng = new Well19937c(config.seed());
    }

    /**
     * What the rule chose at one epoch, and what it knew then.
     *
     * @param features the chosen arm's joint feature vector, which its reward will teach
     */
    record Choice(Arm arm, Decision.Reason reason, double gain, double cost, double scale, double rBar,
                  List<Decision.ArmEstimate> estimates, double[] features) {
    }

    /** Gain, cost and joint features x_a of every arm (zero gain and cost for the wait arm). */
    private record Scored(double[] gain, double[] cost, double[][] x) {
    }

    /** Which arms may be played, which of those only as exploration, and their posterior-mean advantage over waiting. */
    private record Gate(boolean freshEnough, boolean[] eligible, boolean[] exploratory, double[] advantage,
                        boolean anyUpdate) {
    }

    /** Chooses an arm for the drafter's current epoch ({@code st.epoch}, already advanced), spending exploration. */
    Choice choose(DrafterState st, DecisionContext ctx) {
        double rBar = st.horizonRate(ctx, tuning.loadForecastWeight());
        double horizon = config.horizonSeconds();
        double scale = Math.max(1.0, Math.max(ctx.tauNow(), 1.0) * rBar * horizon);
        Scored s = score(ctx, rBar, scale);
        BayesianLinearModel.Posterior post = st.model.posterior();
        Gate g = gate(st, ctx, post, s, scale);
        double[] theta = g.anyUpdate() ? post.sample(rng) : null;
        int n = arms.size();
        List<Decision.ArmEstimate> estimates = new ArrayList<>(n);
        double[] sampled = new double[n];
        for (int i = 0; i < n; i++) {
            double structural = s.gain()[i] - s.cost()[i];
            double mean = structural + scale * post.mean(s.x()[i]);
            double sd = scale * Math.sqrt(Math.max(0, post.variance(s.x()[i])));
            sampled[i] = (theta != null && g.eligible()[i])
                    ? structural + scale * BayesianLinearModel.dot(theta, s.x()[i]) : Double.NaN;
            estimates.add(new Decision.ArmEstimate(arms.get(i), g.eligible()[i], s.gain()[i], s.cost()[i],
                    g.advantage()[i], mean, sd, sampled[i]));
        }
        int best = theta == null ? layout.waitIndex() : best(sampled, g.eligible());
        Decision.Reason reason = !g.anyUpdate()
                ? (g.freshEnough() ? Decision.Reason.NO_PROFITABLE_UPDATE : Decision.Reason.NO_FRESH_SAMPLES)
                : g.exploratory()[best] ? Decision.Reason.EXPLORATION : Decision.Reason.THOMPSON_SAMPLE;
        if (g.exploratory()[best]) {
            st.exploration.spent(st.epoch);
        }
        return new Choice(arms.get(best), reason, s.gain()[best], s.cost()[best], scale, rBar, estimates, s.x()[best]);
    }

    private Scored score(DecisionContext ctx, double rBar, double scale) {
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
            x[i] = model.jointFeatures(layout.dimension(), layout.blockOffset(i), base, gain[i] / scale, cost[i] / scale);
        }
        return new Scored(gain, cost, x);
    }

    private Gate gate(DrafterState st, DecisionContext ctx, BayesianLinearModel.Posterior post, Scored s, double scale) {
        int n = arms.size();
        int wait = layout.waitIndex();
        double[] gain = s.gain();
        double[] cost = s.cost();
        double[][] x = s.x();
        boolean freshEnough = ctx.freshSamples() >= tuning.minFreshSamples();
        boolean[] eligible = new boolean[n];
        boolean[] exploratory = new boolean[n];
        double[] advantage = new double[n];
        double waitMean = post.mean(x[wait]);
        boolean anyUpdate = false;
        for (int i = 0; i < n; i++) {
            if (i == wait) {
                eligible[i] = true;
                continue;
            }
            // posterior-mean advantage over waiting: cost model plus the arm's learned correction
            advantage[i] = gain[i] - cost[i] + scale * (post.mean(x[i]) - waitMean);
            double advantageSd = scale * Math.sqrt(post.variance(StructuralModel.diff(x[i], x[wait])));
            boolean pays = gain[i] > cost[i]
                    || (advantage[i] > 0 && advantage[i] > tuning.learnedGateSigmas() * advantageSd);
            exploratory[i] = !pays;
            eligible[i] = freshEnough && (pays || st.exploration.allows(st.epoch, cost[i], scale));
            anyUpdate |= eligible[i];
        }
        return new Gate(freshEnough, eligible, exploratory, advantage, anyUpdate);
    }

    /** The eligible arm with the highest sample; the wait arm is considered first and keeps ties. */
    private int best(double[] sampled, boolean[] eligible) {
        int wait = layout.waitIndex();
        int best = wait;
        double bestValue = sampled[wait];
        for (int i = 0; i < sampled.length; i++) {
            if (eligible[i] && sampled[i] > bestValue) {
                best = i;
                bestValue = sampled[i];
            }
        }
        return best;
    }
}
