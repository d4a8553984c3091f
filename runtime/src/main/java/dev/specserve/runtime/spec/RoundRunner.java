package dev.specserve.runtime.spec;

import dev.specserve.runtime.kv.KvPool;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.plan.GoodputPlanner;
import dev.specserve.runtime.plan.KvReads;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one round primitive, for a batch of one and a batch of N alike:
 *
 * <pre>
 *   trees   = planner.draft(batch)             draft, and choose what each sequence verifies
 *   outputs = verify(batch, trees)             ONE target forward over every tree
 *   results = accept each, planner learns      longest agreeing path + the target's next token
 * </pre>
 */
public final class RoundRunner {
    private static final Logger LOG = LoggerFactory.getLogger(RoundRunner.class);
    private final TargetModel target;
    private final GoodputPlanner planner;
    private volatile boolean calibrated;

    public RoundRunner(TargetModel target, GoodputPlanner planner) {
        this.target = target;
        this.planner = planner;
    }

    public GoodputPlanner planner() {
        return planner;
    }

    /**
     * Runs one round for every sequence. With more than one sequence they must live in pool slots
     * 0..B-1 in batch order; a single sequence verifies against its own cache. Results are in batch order.
     */
    public RoundResult[] run(List<Sequence> batch, KvPool pool) {
        ensureCalibrated();
        KvReads kv = kvReads(batch, pool);
        DraftTree[] trees = planner.draft(batch, kv);
        long verifyStart = System.nanoTime();
        TargetOutput[] outputs = verify(batch, trees, pool);
        RoundResult[] results = new RoundResult[batch.size()];
        RuntimeException failure = null;
        for (int i = 0; i < batch.size(); i++) {
            try {
                results[i] = batch.get(i).accept(trees[i], outputs[i], verifyStart);
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        planner.observeVerify(batch, trees, kv, System.nanoTime() - verifyStart);
        for (int i = 0; i < batch.size(); i++) {
            if (results[i] != null) {
                planner.observe(batch.get(i), trees[i], results[i]);
            }
        }
        if (failure != null) {
            throw new RoundFailedException(results, failure);
        }
        return results;
    }

    /**
     * The KV rows this round's verification reads: one sequence its own past; a batch the pool's stride (the
     * longest past, bucketed) per sequence, except plain steps on the ragged graph, which read each sequence's own.
     */
    private KvReads kvReads(List<Sequence> batch, KvPool pool) {
        if (batch.size() == 1) {
            return KvReads.OWN_PASTS;
        }
        int columns = pool.fit();
        return target.ragged() ? KvReads.raggedPlainSteps(columns) : KvReads.padded(columns);
    }

    private TargetOutput[] verify(List<Sequence> batch, DraftTree[] trees, KvPool pool) {
        if (batch.size() == 1) {
            Sequence s = batch.get(0);
            DraftTree t = trees[0];
            return new TargetOutput[] {target.forward(t.verifyTokens(s.root()), t.verifyPositions(s.rootPosition()),
                    t.verifyMask(s.rootPosition()), s.cache())};
        }
        List<TargetModel.BatchEntry> entries = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Sequence s = batch.get(i);
            int rootPos = s.rootPosition();
            entries.add(new TargetModel.BatchEntry(trees[i].verifyTokens(s.root()), trees[i].verifyPositions(rootPos),
                    trees[i].verifyMask(rootPos)));
        }
        return target.forwardBatch(entries, pool);
    }

    /**
     * Seeds the planner's verify-cost model from a {@link VerifyProfile} once, so the first requests are planned on
     * this machine's costs.
     */
    public void ensureCalibrated() {
        if (calibrated) {
            return;
        }
        synchronized (this) {
            if (!calibrated) {
                calibrate("");
            }
        }
    }

    /**
     * Runs {@code warmUp} (rounds planned on the prior), then profiles the verify forwards and makes the fit the
     * planner's verify cost, forgetting what the warm-up measured: each code path's first forwards run cold, and
     * an engine that started from them once settled on plain steps or on drafting by chance. Nothing is profiled
     * once {@code stopped} (the engine closing during its warm-up).
     */
    public void calibrateAfter(Runnable warmUp, java.util.function.BooleanSupplier stopped) {
        synchronized (this) {
            calibrated = true; // no profile before the warm-up: the one after it supersedes it anyway
        }
        warmUp.run();
        if (stopped.getAsBoolean()) {
            return;
        }
        synchronized (this) {
            calibrate(" after warm-up");
        }
    }

    private void calibrate(String when) {
        List<double[]> profile = VerifyProfile.measure(target);
        planner.calibrate(profile);
        calibrated = true;
        double[] c = planner.verifyCostCoefficients();
        LOG.info("goodput planner calibrated{} from {} forwards: verify ms = {} + {} x tokens + {} x KV rows/1024",
                when, profile.size(), String.format("%.2f", c[0]), String.format("%.3f", c[1]),
                String.format("%.2f", c[2]));
    }

    /** Some sequences of a round failed in acceptance; the others' results are still valid. */
    public static final class RoundFailedException extends RuntimeException {
        private final transient RoundResult[] partial;

        RoundFailedException(RoundResult[] partial, RuntimeException cause) {
            super(cause.getMessage(), cause);
            this.partial = partial;
        }

        /** Results in batch order; null where that sequence failed. */
        public RoundResult[] partial() {
            return partial;
        }
    }
}
