package dev.specserve.controller.adapt;

import dev.specserve.bandit.Arm;
import dev.specserve.bandit.BanditConfig;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.DrafterUpdater;
import dev.specserve.drafters.update.LmHead;
import java.util.List;

/**
 * Update budgets and optimiser settings for the serving loop and adapt-bench, from a sweep on the demo pair
 * (README, Adaptation): on domain B, 8-32 Adam steps at 5e-3 barely move held-out agreement, 128 steps take
 * it from 0.12 to 0.25 and live first-position acceptance from 0.35 to 0.44, and 512 steps raise agreement
 * further (0.29) while live acceptance falls back, so the large arm stops at 128.
 */
public final class AdaptationTuning {
    public static final double LEARNING_RATE = 5e-3;
    public static final int BATCH = 32;
    /** A candidate must beat the current version's held-out agreement by this much to be swapped in. */
    public static final double ACCEPT_MARGIN = 0.005;
    public static final Arm UPDATE_SMALL = new Arm("UPDATE_SMALL", 48, 512);
    public static final Arm UPDATE_LARGE = new Arm("UPDATE_LARGE", 128, 0);

    private AdaptationTuning() {}

    public static DrafterUpdater updater(DrafterVersions versions, LmHead head) {
        return new DrafterUpdater(versions, head, LEARNING_RATE, BATCH, ACCEPT_MARGIN);
    }

    /** The bandit with these arms, crediting an improvement for {@code horizonSeconds}. */
    public static BanditConfig bandit(long seed, double horizonSeconds) {
        BanditConfig d = BanditConfig.defaults(seed);
        return new BanditConfig(List.of(Arm.WAIT, UPDATE_SMALL, UPDATE_LARGE), horizonSeconds, d.swapCostSeconds(),
                d.priorVariance(), d.noiseVariance(), seed, d.tuning().withStepsToRecover(64));
    }
}
