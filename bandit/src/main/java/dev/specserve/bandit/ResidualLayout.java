package dev.specserve.bandit;

import java.util.Arrays;
import java.util.List;

/**
 * The shape of the learned residual's joint parameter vector θ: the shared block β, then one block δ_a per
 * update arm (the wait arm has none), with θ's prior variances; it makes each drafter's fresh model.
 */
final class ResidualLayout {
    private final int[] blockOffset;
    private final int waitIndex;
    private final double[] priorVariance;
    private final double noiseVariance;
    private final double discount;

    ResidualLayout(BanditConfig config) {
        List<Arm> arms = config.arms();
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
        Arrays.fill(priorVariance, config.priorVariance());
        double structural = config.tuning().structuralPriorVariance();
        for (int i = 0; i < arms.size(); i++) {
            if (blockOffset[i] >= 0) {
                int multipliers = blockOffset[i] + StructuralModel.ARM_BASE.length;
                priorVariance[multipliers] = structural;
                priorVariance[multipliers + 1] = structural;
            }
        }
        this.noiseVariance = config.noiseVariance();
        this.discount = config.tuning().discount();
    }

    /** Length of θ. */
    int dimension() {
        return priorVariance.length;
    }

    /** Index of the wait arm in the configured arms. */
    int waitIndex() {
        return waitIndex;
    }

    /** Where arm {@code i}'s own block starts in θ; −1 for the wait arm. */
    int blockOffset(int i) {
        return blockOffset[i];
    }

    /** A model that has learned nothing yet: θ at its prior. */
    BayesianLinearModel newModel() {
        return new BayesianLinearModel(priorVariance, noiseVariance, discount);
    }
}
