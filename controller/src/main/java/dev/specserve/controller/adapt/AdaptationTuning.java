package dev.specserve.controller.adapt;

import dev.specserve.bandit.Arm;
import dev.specserve.bandit.BanditConfig;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.AdapterObjective;
import dev.specserve.drafters.update.AdapterTrainer;
import dev.specserve.drafters.update.DrafterUpdater;
import dev.specserve.drafters.update.ShadowEvaluator;
import dev.specserve.drafters.update.LmHead;
import java.util.List;

/**
 * Update budgets and optimiser settings for the serving loop and adapt-bench, chosen with {@code bin/specserve
 * adapter-sweep} on the demo pair (measurements in docs/adaptation.md, "What an update can win"): label smoothing keeps
 * the adapted distribution calibrated; τ gains little past a few dozen steps on a few hundred labels and more with
 * more labels, hence updates that retrain a fresh adapter on every fresh sample for a fixed number of passes
 * ({@link #UPDATE_LARGE}); {@link
 * #UPDATE_SMALL} is the cheap alternative, a refresh of the current adapter on the newest samples (trained from
 * zero, so few steps underfit and mostly failed the shadow check).
 */
public final class AdaptationTuning {
    public static final double LEARNING_RATE = 2e-3;
    public static final int BATCH = 32;
    public static final double LABEL_SMOOTHING = 0.1;
    /** Share of each label on the unadapted drafter's distribution ({@link AdapterObjective}). */
    public static final double ANCHOR = 0.3;
    /** A candidate must beat the current version's held-out agreement by this much to be swapped in. */
    public static final double ACCEPT_MARGIN = 0.005;
    /** Refreshes the current adapter: 16 steps on the newest 1,024 samples. */
    public static final Arm UPDATE_SMALL = new Arm("UPDATE_SMALL", 16, 1024);
    /**
     * Retrains a fresh adapter on every fresh sample: three passes over them, 48 to 256 steps. A fixed 48 steps
     * fits about 500 labels (three passes at batch 32) and under-fits three times as many, where 128 steps won
     * 4% more τ on B (adapter-sweep, docs/adaptation.md).
     */
    public static final Arm UPDATE_LARGE = Arm.epochs("UPDATE_LARGE", 3, BATCH, 48, 256);

    private AdaptationTuning() {}

    /** @param threads threads one update's gradient is computed on ({@code adaptation_training_threads}) */
    public static DrafterUpdater updater(DrafterVersions versions, LmHead head, int threads) {
        return new DrafterUpdater(versions, new AdapterTrainer(head, LEARNING_RATE, 0,
                new AdapterObjective(LABEL_SMOOTHING, ANCHOR), threads),
                new ShadowEvaluator(head), BATCH, ACCEPT_MARGIN, true);
    }

    /** The bandit with these arms, crediting an improvement for {@code horizonSeconds}. */
    public static BanditConfig bandit(long seed, double horizonSeconds) {
        BanditConfig d = BanditConfig.defaults(seed);
        return new BanditConfig(List.of(Arm.WAIT, UPDATE_SMALL, UPDATE_LARGE), horizonSeconds, d.swapCostSeconds(),
                d.priorVariance(), d.noiseVariance(), seed, d.tuning().withStepsToRecover(24));
    }
}
