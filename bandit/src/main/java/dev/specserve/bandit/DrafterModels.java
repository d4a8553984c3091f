package dev.specserve.bandit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The bandit's per-drafter state, created on a drafter's first decision, read as snapshots and reset on forget. */
final class DrafterModels {
    private final ResidualLayout layout;
    private final BanditConfig.Tuning tuning;
    private final Map<String, DrafterState> drafters = new HashMap<>();

    DrafterModels(ResidualLayout layout, BanditConfig.Tuning tuning) {
        this.layout = layout;
        this.tuning = tuning;
    }

    /** The drafter's state, made fresh (prior model, full exploration budget) on its first use. */
    DrafterState stateFor(String drafterId) {
        return drafters.computeIfAbsent(drafterId, id -> new DrafterState(layout.newModel(), new ExplorationBudget(tuning)));
    }

    /** The posterior the drafter's next decision would use, without refining it; empty if never decided for. */
    Optional<CostAwareBandit.Learned> learned(String drafterId) {
        DrafterState st = drafters.get(drafterId);
        if (st == null) {
            return Optional.empty();
        }
        BayesianLinearModel.Posterior post = st.model.peekPosterior();
        List<Double> mean = new ArrayList<>();
        for (double v : post.mean()) {
            mean.add(v);
        }
        return Optional.of(new CostAwareBandit.Learned(st.model.observations(), post.noiseVariance(), mean));
    }

    /** Realised rewards the drafter's model has learned from (0 if never decided for). */
    long observations(String drafterId) {
        DrafterState st = drafters.get(drafterId);
        return st == null ? 0 : st.model.observations();
    }

    /** Resets what the drafter has learned; returns its state, or null if it was never decided for. */
    DrafterState forget(String drafterId) {
        DrafterState st = drafters.get(drafterId);
        if (st != null) {
            st.reset(layout.newModel());
        }
        return st;
    }
}
