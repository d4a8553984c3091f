package dev.specserve.drafters.update;

import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One online update: train a candidate adapter from the current version on recent verifier labels,
 * shadow-evaluate it against the current version on held-out labels, and register it as a new version
 * only if it is well-formed and better. Activation (the hot swap) is the caller's decision.
 */
public final class DrafterUpdater {
    private final DrafterVersions versions;
    private final AdapterTrainer trainer;
    private final ShadowEvaluator shadow;
    private final int batchSize;
    private final double acceptMargin;
    private final boolean fromZero;

    public DrafterUpdater(DrafterVersions versions, LmHead head, double learningRate, int batchSize, double acceptMargin) {
        this(versions, new AdapterTrainer(head, learningRate, 0.0), new ShadowEvaluator(head), batchSize, acceptMargin,
                false);
    }

    /**
     * @param fromZero train each candidate from a fresh adapter on the recent samples instead of continuing the
     *                 current one: recorded hidden states do not depend on the adapter, so both are valid, and a
     *                 fresh start keeps steps from piling up into an overconfident adapter over many updates
     */
    public DrafterUpdater(DrafterVersions versions, AdapterTrainer trainer, ShadowEvaluator shadow, int batchSize,
                          double acceptMargin, boolean fromZero) {
        this.versions = versions;
        this.trainer = trainer;
        this.shadow = shadow;
        this.batchSize = batchSize;
        this.acceptMargin = acceptMargin;
        this.fromZero = fromZero;
    }

    /** What an update attempt did. {@code candidate} is present only when shadow evaluation accepted it. */
    public record Outcome(Optional<DrafterVersion> candidate, ShadowEvaluator.Verdict verdict, int steps,
                          int trainSamples, int heldOutSamples, double seconds) {}

    public Outcome update(List<AdapterSample> train, List<AdapterSample> heldOut, int steps, long seed) {
        return update(train, heldOut, steps, seed, !fromZero);
    }

    /**
     * @param fromCurrent continue from the current version's adapter (a refresh on recent samples) rather than
     *                    from a fresh one, whatever this updater does by default
     */
    public Outcome update(List<AdapterSample> train, List<AdapterSample> heldOut, int steps, long seed,
                          boolean fromCurrent) {
        long t0 = System.nanoTime();
        DrafterVersion current = versions.current();
        if (train.isEmpty() || heldOut.isEmpty()) {
            return new Outcome(Optional.empty(), new ShadowEvaluator.Verdict(false, "not enough samples (train "
                    + train.size() + ", held-out " + heldOut.size() + ")", null, null), 0, train.size(),
                    heldOut.size(), 0);
        }
        Adapter candidate;
        try {
            Adapter start = fromCurrent ? current.adapter() : Adapter.zero(current.adapter().rank(), current.adapter().dim());
            candidate = trainer.train(start, train, steps, batchSize, seed);
        } catch (IllegalArgumentException e) {
            return new Outcome(Optional.empty(), new ShadowEvaluator.Verdict(false, "training diverged: "
                    + e.getMessage(), null, null), steps, train.size(), heldOut.size(), seconds(t0));
        }
        return evaluate(current, candidate, heldOut, steps, train.size(), t0, "online-update");
    }

    /** Shadow-evaluates an adapter that came from elsewhere (admin API, another replica). */
    public Outcome consider(Adapter candidate, List<AdapterSample> heldOut, String source) {
        long t0 = System.nanoTime();
        return evaluate(versions.current(), candidate, heldOut, 0, 0, t0, source);
    }

    private Outcome evaluate(DrafterVersion current, Adapter candidate, List<AdapterSample> heldOut, int steps,
                             int trainSamples, long t0, String source) {
        ShadowEvaluator.Verdict verdict = shadow.compare(current.adapter(), candidate, heldOut, acceptMargin);
        if (!verdict.accept()) {
            return new Outcome(Optional.empty(), verdict, steps, trainSamples, heldOut.size(), seconds(t0));
        }
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("source", source);
        metrics.put("steps", steps);
        metrics.put("train_samples", trainSamples);
        metrics.put("held_out_samples", heldOut.size());
        metrics.put("shadow_agreement_before", verdict.current().agreement());
        metrics.put("shadow_agreement_after", verdict.candidate().agreement());
        metrics.put("update_seconds", seconds(t0));
        DrafterVersion v = versions.create(candidate, current.id(), metrics);
        return new Outcome(Optional.of(v), verdict, steps, trainSamples, heldOut.size(), seconds(t0));
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
