package dev.specserve.drafters.update;

import dev.specserve.drafters.Adapter;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Gradient steps on the drafter's low-rank output adapter, h' = h + B(A h), logits = W h', with the LM head W
 * frozen. Loss: mean cross-entropy toward the target's tokens, softened as the {@link AdapterObjective} says,
 * over samples that passed the valid-prefix mask. Only the output path changes, so recorded hidden states stay valid across adapter versions.
 * Optimiser: Adam. A zero adapter is a saddle (both gradients vanish), so training starts, as in LoRA,
 * from a small random A with B = 0, which leaves the drafter's output unchanged.
 */
public final class AdapterTrainer {
    /** Fewest samples worth a thread of their own. */
    private static final int MIN_SHARD = 8;

    private final AdapterLoss loss;
    private final double learningRate;
    private final double weightDecay;
    private final int threads;
    private final Shards shards;

    public AdapterTrainer(LmHead head, double learningRate, double weightDecay) {
        this(head, learningRate, weightDecay, AdapterObjective.hardLabels(), 1);
    }

    /**
     * @param objective what each label is softened toward: a uniform share keeps the adapted distribution from
     *                  turning overconfident on a few hundred samples, and an anchor on the unadapted drafter's
     *                  distribution keeps what the labels say nothing about as it was; both matter because the
     *                  drafter's proposals and their order come from that distribution
     * @param threads   threads one gradient uses: the batch is split into that many shards (of at least
     *                  {@value #MIN_SHARD} samples), the caller's thread computing one of them
     */
    public AdapterTrainer(LmHead head, double learningRate, double weightDecay, AdapterObjective objective,
                          int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.shards = new Shards(threads, "specserve-adapter-gradient");
        this.loss = new AdapterLoss(head, objective);
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
    }

    /** Loss and gradients of one batch, over its samples whose target token is in the draft vocabulary. */
    public record Gradient(double loss, float[] gradA, float[] gradB) {}

    /**
     * The batch is cut into {@code threads} contiguous shards whose sums are added in shard order, so a given
     * thread count always gives the same gradient, and one thread gives the plain sequential sum.
     */
    public Gradient gradient(Adapter adapter, List<AdapterSample> batch) {
        int n = Math.max(1, Math.min(threads, batch.size() / MIN_SHARD));
        List<AdapterLoss.Sums> parts = n == 1 ? List.of(loss.sums(adapter, batch))
                : shards.map(Shards.cut(batch, n), c -> loss.sums(adapter, c));
        AdapterLoss.Sums total = parts.get(0);
        for (AdapterLoss.Sums p : parts.subList(1, parts.size())) {
            total = total.plus(p);
        }
        float count = Math.max(1, total.used());
        return new Gradient(total.loss() / count, divided(total.gA(), count), divided(total.gB(), count));
    }

    private static float[] divided(float[] x, float by) {
        for (int i = 0; i < x.length; i++) {
            x[i] /= by;
        }
        return x;
    }

    public double loss(Adapter adapter, List<AdapterSample> batch) {
        return gradient(adapter, batch).loss();
    }

    /** A LoRA-style starting point: small random A, zero B (the drafter's output is unchanged). */
    public static Adapter initial(int rank, int dim, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[rank * dim];
        double scale = 1.0 / Math.sqrt(dim);
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rng.nextGaussian() * scale);
        }
        return new Adapter(rank, dim, a, new float[dim * rank]);
    }

    /** Runs {@code steps} Adam steps over mini-batches drawn from {@code samples}; returns the new adapter. */
    public Adapter train(Adapter start, List<AdapterSample> samples, int steps, int batchSize, long seed) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no training samples");
        }
        boolean zero = isZero(start);
        Adapter cur = zero ? initial(start.rank(), start.dim(), seed) : start;
        float[] a = cur.a().clone();
        float[] b = cur.b().clone();
        Adam adamA = new Adam(a.length);
        Adam adamB = new Adam(b.length);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int step = 1; step <= steps; step++) {
            List<AdapterSample> batch = new java.util.ArrayList<>(batchSize);
            for (int i = 0; i < Math.min(batchSize, samples.size()); i++) {
                batch.add(samples.get(rng.nextInt(samples.size())));
            }
            Gradient g = gradient(new Adapter(cur.rank(), cur.dim(), a, b), batch);
            adamA.step(a, g.gradA(), step, learningRate, weightDecay);
            adamB.step(b, g.gradB(), step, learningRate, weightDecay);
        }
        return new Adapter(cur.rank(), cur.dim(), a, b);
    }

    private static boolean isZero(Adapter adapter) {
        for (float v : adapter.a()) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }
}
