package dev.specserve.controller.adapt;

import dev.specserve.bandit.Arm;
import dev.specserve.bandit.CostAwareBandit;
import dev.specserve.bandit.Decision;
import dev.specserve.bandit.DecisionContext;
import dev.specserve.bandit.DriftDetector;
import dev.specserve.bandit.UpdateCostModel;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.AdapterSample;
import dev.specserve.drafters.update.DrafterUpdater;
import dev.specserve.drafters.update.RollbackGuard;
import dev.specserve.drafters.update.SampleBuffer;
import dev.specserve.telemetry.FeedbackListener;
import dev.specserve.telemetry.FeedbackPublisher;
import dev.specserve.telemetry.RoundEvent;
import dev.specserve.telemetry.TrainingSample;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The adaptation loop for one drafter. Verifier feedback (round events and training samples, from Kafka)
 * feeds a sliding acceptance window, a drift detector and a sample buffer. Every epoch the cost-aware bandit
 * decides whether an update pays for itself at the current load; an update trains the adapter, is
 * shadow-evaluated, and is hot-swapped between rounds. A rollback guard reverts a swap whose live acceptance
 * falls below the pre-swap level. Every decision is published on the feedback topic.
 *
 * <p>Everything is measured in event time, from the rounds' own timestamps: τ, and the capacity (committed
 * tokens ÷ draft + verify seconds) that rewards are made of ({@link RewardWindows}, {@link Reward}). Updates
 * train on their own thread (the updater's trainer may shard each gradient over more), never on the decision
 * timer; no decision is made
 * while an update trains or before it has been measured serving.
 */
public final class AdaptationController implements FeedbackListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdaptationController.class);

    /** Loop settings. */
    public record Settings(String drafterId, Duration epoch, Duration window, int rollbackWindowRounds,
                           double rollbackMargin, long seed) {
        public static Settings defaults(String drafterId) {
            return new Settings(drafterId, Duration.ofSeconds(10), Duration.ofSeconds(30), 64, 0.15, 7);
        }
    }

    /** The serving load the decision weighs an update against. */
    public record Load(int running, int waiting) {}

    private final Settings settings;
    private final DrafterVersions versions;
    private final DrafterUpdater updater;
    private final CostAwareBandit bandit;
    private final Supplier<Load> load;
    private final int maxBatch;
    private final DecisionEvents events;
    private final SampleBuffer buffer = new SampleBuffer(4096, 5);
    private final DriftDetector drift = new DriftDetector(256, 16, 0.5, 10.0);
    private final UpdateCostModel costs = new UpdateCostModel();
    private final RollbackGuard guard;
    private final RoundWindow window;
    private final EventTimeRewards rewards;
    private final TrainingExecutor trainer;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "specserve-adaptation");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean paused;
    private final ActivityCounts counts = new ActivityCounts();
    private final FailedTasks failures = new FailedTasks();
    private final LabelIntake labels;
    private final RoundChecks roundChecks = new RoundChecks();
    private volatile java.util.function.BooleanSupplier mayDecide = () -> true;
    private final TauReference reference;
    private final VersionSwitch switcher;
    private long seed;

    public AdaptationController(Settings settings, DrafterVersions versions, DrafterUpdater updater,
                                CostAwareBandit bandit, Supplier<Load> load, int maxBatch,
                                FeedbackPublisher publisher, String replicaId) {
        this.settings = settings;
        this.versions = versions;
        this.labels = new LabelIntake(settings.drafterId(), versions, buffer);
        this.updater = updater;
        this.bandit = bandit;
        this.load = load;
        this.maxBatch = maxBatch;
        this.guard = new RollbackGuard(settings.rollbackWindowRounds(), settings.rollbackMargin());
        this.window = new RoundWindow(settings.window().toNanos());
        this.rewards = new EventTimeRewards(bandit.config().horizonSeconds(), settings.epoch().toMillis(),
                settings.window().toMillis());
        this.trainer = new TrainingExecutor();
        this.seed = settings.seed();
        this.reference = new TauReference(bandit.config().horizonSeconds());
        this.events = new DecisionEvents(bandit, publisher, replicaId, settings.drafterId());
        bandit.addListener(events);
        this.switcher = new VersionSwitch(settings.drafterId(), versions, guard, drift, reference, buffer, counts, events);
    }

    /**
     * Decisions wait until {@code ready} holds: a process that numbers versions must first have read the fleet's
     * (after a restart its numbers would otherwise collide with the updates topic's history).
     */
    public void decideOnlyWhen(java.util.function.BooleanSupplier ready) {
        this.mayDecide = ready;
    }

    /** Also tells {@code log} every bandit decision (metrics, logs). */
    public void addDecisionLog(dev.specserve.bandit.DecisionLog log) {
        bandit.addListener(log);
    }

    /**
     * Where the versions this loop makes current are announced: trained updates, rollbacks, operator swaps and
     * drafter files (fleet mode publishes them to every replica). Versions it {@link #follow follows} are not.
     */
    public void announceTo(VersionChanges changes) {
        switcher.announceTo(changes);
    }

    public void start() {
        long ms = settings.epoch().toMillis();
        timer.scheduleWithFixedDelay(failures.safely(FailedTasks.EPOCH, "adaptation epoch", this::epoch), ms, ms,
                TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(failures.safely(FailedTasks.REWARDS, "realising adaptation rewards",
                this::realiseReady), 1, 1, TimeUnit.SECONDS);
        LOG.info("adaptation loop for drafter {}: decision every {} s, rollback if live acceptance falls {} below "
                + "the pre-swap level within {} rounds", settings.drafterId(), settings.epoch().toSeconds(),
                settings.rollbackMargin(), settings.rollbackWindowRounds());
    }

    // ------------------------------------------------------------------ feedback

    @Override
    public void onRound(RoundEvent e) {
        if (!settings.drafterId().equals(e.drafterId()) || e.drafterVersion() == 0) {
            return;
        }
        if (!roundChecks.usable(e)) {
            return;
        }
        // event time: when the round happened, not when it arrived
        window.add(e.timestampMs() * 1_000_000L, e.acceptedLength());
        rewards.onRound(e);
        drift.observe(e.acceptedLength() + 1);
        if (guard.observe(e.drafterVersion(), e.acceptedLength()) == RollbackGuard.Verdict.ROLL_BACK) {
            switcher.rollbackFrom(e.drafterVersion(), "live acceptance " + String.format("%.2f", guard.liveMean())
                    + " fell below the pre-swap level");
        }
    }

    @Override
    public void onSample(TrainingSample s) {
        labels.accept(s);
    }

    // ------------------------------------------------------------------ decisions

    /** One decision epoch (also callable directly, e.g. by benchmarks). Returns the decision, if one was made. */
    public Optional<Decision> epoch() {
        realiseReady();
        if (paused || trainer.busy() || !mayDecide.getAsBoolean()) {
            return Optional.empty();
        }
        long watermark = rewards.watermarkMs();
        if (rewards.settling() || watermark == Long.MIN_VALUE) {
            return Optional.empty();
        }
        long now = watermark * 1_000_000L; // event time, in the window's nanos
        double tau = window.tau(now);
        double tauReference = reference.observe(now, tau, window.size() >= 16);
        Load l = load.get();
        // capacity: tokens per busy second of the window's rounds; its round rate is what the horizon is priced at
        double capacity = rewards.capacity(settings.window().toMillis());
        double capacityRounds = tau > 0 && Double.isFinite(capacity) ? capacity / tau : Double.NaN;
        DecisionContext ctx = DecisionContext.builder()
                .tauNow(tau)
                .tauAfterLastUpdate(tauReference)
                .drift(drift)
                .freshSamples(buffer.fresh())
                .roundsPerSecond(window.roundsPerSecond(now))
                .queueDepth(l.waiting())
                .batchOccupancy(Math.min(1.0, l.running() / (double) maxBatch))
                .secondsSinceLastUpdate(counts.secondsSinceLastUpdate())
                .horizonRoundsPerSecond(capacityRounds)
                .costs(costs)
                .build();
        Decision d = bandit.decide(settings.drafterId(), ctx);
        // stamped in event time, as the windows are filled: just after the newest round seen (on the replicas'
        // clocks; this process's own may differ from theirs by seconds, which put the swap inside the baseline)
        rewards.decided(d.id(), d.isUpdate(), watermark + 1);
        if (d.isUpdate()) {
            trainer.submit(d.id(), () -> update(d.id(), d.steps(), d.arm().sampleBudget()), rewards);
        }
        return Optional.of(d);
    }

    /** Hands the bandit every reward whose window has closed and whose rounds have arrived. */
    void realiseReady() {
        rewards.realiseReady(bandit);
    }

    /** Decisions whose reward windows have not closed yet. */
    int rewardsOpen() {
        return rewards.open();
    }

    /** Decisions whose reward could not be measured (too few rounds in a window). */
    long rewardsUnmeasured() {
        return rewards.unmeasured();
    }

    /** Whether an update is training now. */
    public boolean training() {
        return trainer.busy();
    }

    /** An update outside the bandit (a periodic policy, an operator): same training, shadow check and swap. */
    public double updateNow(int steps, long sampleBudget) {
        return update("manual-" + System.currentTimeMillis(), steps, sampleBudget).trainingSeconds();
    }

    /** {@link #updateNow(int, long)} with an arm's budgets for the samples that are fresh now. */
    public double updateNow(Arm arm) {
        return updateNow(arm.stepsFor(buffer.fresh()), arm.sampleBudget());
    }

    /**
     * Trains, shadow-evaluates and swaps; says how long it trained and how long the swap stalled. Training runs
     * outside the lock, so a rollback judged meanwhile neither waits for it (on the feedback consumer's thread)
     * nor is undone by its swap: a candidate whose parent is no longer current is dropped.
     */
    private TrainingExecutor.Outcome update(String id, int steps, long budget) {
        List<AdapterSample> train = buffer.training();
        if (budget > 0 && train.size() > budget) {
            train = train.subList(train.size() - (int) budget, train.size());
        }
        long runSeed;
        synchronized (this) {
            runSeed = seed++;
        }
        // an arm with a sample budget refreshes the current adapter on the newest samples; without one it retrains
        DrafterUpdater.Outcome outcome = updater.update(train, buffer.heldOut(), steps, runSeed, budget > 0);
        synchronized (this) {
            return swapIfStillCurrent(id, steps, outcome);
        }
    }

    private TrainingExecutor.Outcome swapIfStillCurrent(String id, int steps, DrafterUpdater.Outcome outcome) {
        if (outcome.steps() > 0 && outcome.seconds() > 0) { // an attempt with too few samples trained nothing
            costs.observe(steps, outcome.seconds());
        }
        counts.updated(outcome.seconds());
        buffer.markUsed();
        if (outcome.candidate().isEmpty()) {
            LOG.info("update {} ({} steps, {} samples) not swapped in: {}", id, outcome.steps(),
                    outcome.trainSamples(), outcome.verdict().reason());
            return new TrainingExecutor.Outcome(outcome.seconds(), false, 0);
        }
        Optional<Double> stall = switcher.swapTrained(id, outcome.candidate().get(), outcome.steps(), outcome.seconds(),
                outcome.verdict().current().agreement(), outcome.verdict().candidate().agreement());
        if (stall.isEmpty()) {
            return new TrainingExecutor.Outcome(outcome.seconds(), false, 0);
        }
        timer.schedule(() -> reference.afterUpdate(window.tau(rewards.watermarkMs() * 1_000_000L)),
                settings.window().toMillis(), TimeUnit.MILLISECONDS);
        return new TrainingExecutor.Outcome(outcome.seconds(), true, stall.get());
    }

    /**
     * Makes a version from outside the update path current (an operator swap, a new drafter file) under the same
     * rollback guard as an update, and announces it. A new file empties the sample buffer (old session's states).
     */
    public void swapIn(DrafterVersion v, String reason) {
        switcher.swapIn(v, reason);
    }

    /** Like {@link #swapIn} for a version the fleet made current, which is not announced again; says if its file is new. */
    public boolean follow(DrafterVersion v, String reason) {
        return switcher.follow(v, reason);
    }

    /** Reverts to the current version's parent. */
    public Optional<DrafterVersion> rollback(String reason) {
        return switcher.rollback(reason);
    }

    public void pause() {
        paused = true;
        LOG.info("adaptation paused");
    }

    public void resume() {
        paused = false;
        LOG.info("adaptation resumed");
    }

    public boolean paused() {
        return paused;
    }

    /** Updates run, swaps made, rollbacks, and seconds spent training. */
    public record Activity(int updates, int swaps, int rollbacks, double updateSeconds) {}

    public Activity activity() {
        return counts.snapshot();
    }

    public long samplesSeen() {
        return buffer.total();
    }

    /**
     * Feedback left out, and failed epochs: samples drafted by a drafter file no longer current (stale), samples
     * that cannot be this drafter's ({@link LabelIntake}), rounds stamped too far ahead or with no busy time
     * ({@link RoundChecks}), and decision epochs that failed (their decision lost).
     */
    public record Dropped(long staleSamples, long invalidSamples, long futureRounds, long idleRounds,
                          long failedEpochs) {}

    public Dropped dropped() {
        return new Dropped(labels.stale(), labels.invalid(), roundChecks.future(), roundChecks.idle(),
                failures.count(FailedTasks.EPOCH));
    }

    /** Target tokens of training samples must be below {@code vocab}, the target model's vocabulary size. */
    public void targetVocabulary(int vocab) {
        labels.targetVocabulary(vocab);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        trainer.close();
    }
}
