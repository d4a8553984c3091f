package dev.specserve.bandit;

import java.util.List;
import java.util.Random;

/**
 * A simulated deployment that does NOT share the bandit's formulas, so that a test on it is not circular:
 * <ul>
 * <li><b>Gain curve.</b> An update of s steps on n fresh samples recovers gap × s²/(s² + 16²) × n/(n + 60) of
 * the lost τ (a sigmoid in steps and a different data curve; the bandit assumes 1 − e^{−s/32} and
 * n/(n + 256)).</li>
 * <li><b>Cost under load.</b> While an update trains, every round's busy time grows by a factor
 * 1.15 + 1.6 × load² (the bandit assumes the capacity share taken grows linearly with load).</li>
 * <li><b>Demand-limited throughput.</b> Rounds are served at min(demand, capacity), demand varying per
 * epoch; capacity is 80 rounds per busy second.</li>
 * <li><b>Delayed rewards.</b> Round events arrive 2.5 s late, and rewards are measured from them by
 * {@link RewardWindows} (an update's window runs to the next update or the horizon).</li>
 * </ul>
 * Regret per epoch: an update loses its true value's shortfall from the best arm's; a wait when an update
 * pays defers that update, losing one epoch's share of its value.
 * Every {@code driftEvery} epochs (0: never) the drafter's τ falls by a gap drawn in [0.5, 0.9].
 */
final class MisspecifiedDeployment {
    static final double EPOCH_S = 10;
    static final double ROUND_BUSY_S = 1.0 / 80;
    static final double TAU_STAR = 3.6;
    private static final double SWAP_S = 0.5;
    private static final long SAMPLE_MS = 100;
    private static final long DELAY_MS = 2500;

    private final Random rng;
    private final int driftEvery;
    private final CapacityMeter meter = new CapacityMeter(900_000);
    private final RewardWindows windows;
    private final UpdateCostModel costs = new UpdateCostModel();
    private final java.util.ArrayDeque<long[]> inFlight = new java.util.ArrayDeque<>();
    private double tau = TAU_STAR;
    private double load;
    private long fresh;
    private long nowMs = 1_000_000;
    private long lastUpdateMs = -1;
    private int epoch;
    double regret;
    double regretUpdating;
    double regretWaiting;
    int updates;

    MisspecifiedDeployment(long seed, int driftEvery, double horizonSeconds) {
        this.rng = new Random(seed);
        this.driftEvery = driftEvery;
        this.windows = new RewardWindows(meter, horizonSeconds, (long) (EPOCH_S * 1000), 1000, 5);
        this.load = nextLoad();
        serve((long) (EPOCH_S * 1000), 1.0); // a first epoch of history
    }

    private double nextLoad() {
        return 0.2 + 0.75 * rng.nextDouble();
    }

    /** True training seconds of an arm (what the cost model learns from). */
    static double trainingSeconds(Arm arm) {
        return arm.isWait() ? 0 : 1.5 + 0.3 * arm.steps();
    }

    double trueDeltaTau(Arm arm) {
        if (arm.isWait()) {
            return 0;
        }
        double s = arm.steps();
        double n = arm.usableSamples(fresh);
        return (TAU_STAR - tau) * s * s / (s * s + 256) * n / (n + 60);
    }

    /** Expected reward of an arm in the current state, in the reward's own terms. */
    double trueValue(Arm arm, double horizon) {
        if (arm.isWait()) {
            return 0;
        }
        double t = trainingSeconds(arm);
        double capacity = tau / ROUND_BUSY_S;
        double slow = 1.15 + 1.6 * load * load;
        double taken = capacity * (1 - 1 / slow);
        return trueDeltaTau(arm) / ROUND_BUSY_S * Math.max(0, horizon - t - SWAP_S) - t * taken - SWAP_S * capacity;
    }

    DecisionContext context(double horizon) {
        double demand = load * 80;
        // τ measured over the epoch's rounds: per-round sd 0.3, so the mean's sd is 0.3/√rounds
        double tauSd = 0.3 / Math.sqrt(demand * EPOCH_S);
        return DecisionContext.builder().tauNow(tau + tauSd * rng.nextGaussian()).tauAfterLastUpdate(TAU_STAR)
                .freshSamples(fresh).roundsPerSecond(demand).batchOccupancy(Math.min(1, load))
                .queueDepth(load > 0.9 ? 2 : 0)
                .secondsSinceLastUpdate(lastUpdateMs < 0 ? Double.POSITIVE_INFINITY : (nowMs - lastUpdateMs) / 1000.0)
                .horizonRoundsPerSecond(1 / ROUND_BUSY_S).costs(costs).build();
    }

    /** One epoch: decide, act, serve, realise whatever rewards are ready. */
    void epoch(CostAwareBandit bandit, String drafter) {
        double horizon = bandit.config().horizonSeconds();
        epoch++;
        if (driftEvery > 0 && epoch % driftEvery == 0) {
            tau = Math.max(1.2, TAU_STAR - (0.5 + 0.4 * rng.nextDouble()));
        }
        if (windows.settling()) { // the controller holds decisions until the last update has been measured
            serve((long) (EPOCH_S * 1000), 1.0);
            fresh += (long) (load * 80 * EPOCH_S * 0.3);
            load = nextLoad();
            realise(bandit);
            return;
        }
        Decision d = bandit.decide(drafter, context(horizon));
        double best = 0;
        for (Arm a : bandit.config().arms()) {
            best = Math.max(best, trueValue(a, horizon));
        }
        // waiting when an update pays defers it by one epoch: that forfeits one epoch of its gain, not all of it
        double lost = d.isUpdate() ? best - trueValue(d.arm(), horizon) : best * EPOCH_S / horizon;
        regret += lost;
        if (d.isUpdate()) {
            regretUpdating += lost;
        } else {
            regretWaiting += lost;
        }
        windows.decided(d.id(), d.isUpdate(), nowMs);
        long epochMs = (long) (EPOCH_S * 1000);
        if (d.isUpdate()) {
            updates++;
            double t = trainingSeconds(d.arm());
            double newTau = tau + trueDeltaTau(d.arm());
            serve((long) (t * 1000), 1.15 + 1.6 * load * load);
            costs.observe(d.arm().steps(), t);
            nowMs += (long) (SWAP_S * 1000);
            tau = newTau;
            fresh = 0;
            lastUpdateMs = nowMs;
            windows.trained(d.id(), nowMs, t, true, SWAP_S);
            serve(Math.max(0, epochMs - (long) (t * 1000) - (long) (SWAP_S * 1000)), 1.0);
        } else {
            serve(epochMs, 1.0);
        }
        fresh += (long) (load * 80 * EPOCH_S * 0.3);
        load = nextLoad();
        realise(bandit);
    }

    private void realise(CostAwareBandit bandit) {
        for (Reward r : windows.ready(nowMs)) {
            bandit.realise(r);
        }
    }

    /** Serves {@code ms} of rounds at min(demand, capacity) with busy time inflated by {@code slow}. */
    private void serve(long ms, double slow) {
        for (long t = 0; t < ms; t += SAMPLE_MS) {
            double capacityRounds = 1 / (ROUND_BUSY_S * slow);
            double rounds = Math.min(load * 80, capacityRounds) * SAMPLE_MS / 1000.0;
            int n = (int) Math.round(rounds);
            int tokens = (int) Math.round(n * Math.max(1, tau + 0.3 * rng.nextGaussian()));
            long busy = (long) (n * ROUND_BUSY_S * slow * 1e9);
            inFlight.add(new long[] {nowMs + t, tokens, busy});
        }
        nowMs += ms;
        while (!inFlight.isEmpty() && inFlight.peekFirst()[0] <= nowMs - DELAY_MS) {
            long[] r = inFlight.removeFirst();
            meter.add(r[0], (int) r[1], r[2]);
        }
    }

    List<Arm> arms(CostAwareBandit b) {
        return b.config().arms();
    }
}
