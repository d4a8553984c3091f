package dev.specserve.bandit;

/**
 * Detects a downward shift in per-round acceptance: a self-calibrating one-sided CUSUM
 * (Page 1954; the Page-Hinkley test with the reference mean fixed after warm-up) run on means of
 * blocks of rounds.
 *
 * <p>Feed it one value per verification round ({@link #observe}): the round's accepted length (τ
 * of that round) or its acceptance rate. The first {@code warmupRounds} values set the reference
 * mean μ₀ and per-round standard deviation σ₀. After that, rounds are averaged in blocks of
 * {@code blockSize}, and each block mean x̄ updates
 * <pre>  S ← max(0, S + (μ₀ − x̄)/(σ₀/√m) − k)</pre>
 * with m = blockSize; the alarm is raised when S ≥ h. k ("allowance") and h ("threshold") are in
 * units of the block mean's standard deviation.
 *
 * <p><b>Why blocks.</b> Per-round accepted lengths are discrete, skewed and very noisy: a 20% drop
 * in τ is typically under half a standard deviation of a single round. Averaging m rounds makes
 * the statistic close to Gaussian (so the classical CUSUM run lengths hold, whatever the skew of
 * the acceptance distribution) and turns that drop into about 0.4·√m block standard deviations.
 * For Gaussian block means and a known reference, the in-control average run length is about
 * (e^{2k(h+1.17)} − 2k(h+1.17) − 1)/(2k²) blocks (Siegmund): ≈ 1.4·10⁵ blocks ≈ 2·10⁶ rounds for the
 * defaults m = 16, k = 0.5, h = 10. The reference is estimated from the warm-up, with a standard
 * error of √(m/warmup) = 0.125 block σ for the default 1024 rounds, which shortens that several
 * fold: on simulated acceptance streams the defaults raise about one false alarm per 4·10⁵ rounds.
 * A shift of δ block σ (δ &gt; k) is flagged after about (h + 1.17)/(δ − k) blocks: a 22% drop in τ
 * (0.42 round σ, 1.7 block σ) after about 150 rounds. The block σ assumes rounds are roughly
 * independent; strongly autocorrelated streams (one long sequence at a time) raise the
 * false-alarm rate.
 *
 * <p>Only drops are detected: a rise in acceptance is no reason to retrain. Once raised, the alarm
 * stays latched (and S keeps growing while the drop persists) until {@link #reset()}, which the
 * caller invokes after a hot swap so that the new drafter's level becomes the reference.
 *
 * <p>Thread-safe.
 */
public final class DriftDetector {

    /** Default warm-up length (rounds). */
    public static final int DEFAULT_WARMUP = 1024;
    /** Default block size (rounds). */
    public static final int DEFAULT_BLOCK = 16;
    /** Default allowance k (block standard deviations). */
    public static final double DEFAULT_ALLOWANCE = 0.5;
    /** Default threshold h (block standard deviations). */
    public static final double DEFAULT_THRESHOLD = 10.0;

    private static final double MAX_STATISTIC = 1e6;

    private final int warmupRounds;
    private final int blockSize;
    private final double allowance;
    private final double threshold;

    // warm-up accumulators (Welford)
    private long warmN;
    private double warmMean;
    private double warmM2;

    private double refMean = Double.NaN;
    private double refSd = Double.NaN;
    private double blockSum;
    private int blockN;
    private double statistic;
    private boolean alarmed;
    private long rounds;           // since the last reset
    private long alarmRound = -1;  // round count (since reset) at which the alarm was raised
    private long alarmsTotal;      // over the detector's lifetime

    /** Defaults: 1024 warm-up rounds, blocks of 16 rounds, k = 0.5, h = 10. */
    public DriftDetector() {
        this(DEFAULT_WARMUP, DEFAULT_BLOCK, DEFAULT_ALLOWANCE, DEFAULT_THRESHOLD);
    }

    /**
     * @param warmupRounds rounds used to estimate the reference level (≥ 2)
     * @param blockSize    rounds averaged per CUSUM step (≥ 1; 1 = plain per-round CUSUM)
     * @param allowance    k, in block standard deviations (≥ 0)
     * @param threshold    h, in block standard deviations (&gt; 0)
     */
    public DriftDetector(int warmupRounds, int blockSize, double allowance, double threshold) {
        if (warmupRounds < 2) {
            throw new IllegalArgumentException("warmupRounds must be >= 2, got " + warmupRounds);
        }
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
        }
        if (!(allowance >= 0) || Double.isInfinite(allowance)) {
            throw new IllegalArgumentException("allowance must be finite and >= 0, got " + allowance);
        }
        if (!(threshold > 0) || Double.isInfinite(threshold)) {
            throw new IllegalArgumentException("threshold must be finite and > 0, got " + threshold);
        }
        this.warmupRounds = warmupRounds;
        this.blockSize = blockSize;
        this.allowance = allowance;
        this.threshold = threshold;
    }

    /**
     * Adds one round's acceptance.
     *
     * @return true iff this round raised the alarm (a fresh alarm; false while already latched)
     */
    public synchronized boolean observe(double acceptance) {
        if (!Double.isFinite(acceptance)) {
            throw new IllegalArgumentException("acceptance must be finite, got " + acceptance);
        }
        rounds++;
        if (!calibratedLocked()) {
            warmN++;
            double d = acceptance - warmMean;
            warmMean += d / warmN;
            warmM2 += d * (acceptance - warmMean);
            if (warmN >= warmupRounds) {
                refMean = warmMean;
                double sd = Math.sqrt(warmM2 / (warmN - 1));
                // floor: a constant warm-up stream must not make every later wobble infinite
                refSd = Math.max(sd, 1e-3 + 0.01 * Math.abs(refMean));
            }
            return false;
        }
        blockSum += acceptance;
        if (++blockN < blockSize) {
            return false;
        }
        double blockMean = blockSum / blockN;
        blockSum = 0;
        blockN = 0;
        double z = (refMean - blockMean) / (refSd / Math.sqrt(blockSize));
        statistic = Math.min(MAX_STATISTIC, Math.max(0.0, statistic + z - allowance));
        if (!alarmed && statistic >= threshold) {
            alarmed = true;
            alarmRound = rounds;
            alarmsTotal++;
            return true;
        }
        return false;
    }

    /** The CUSUM statistic S, in block standard deviations (0 during warm-up). */
    public synchronized double statistic() {
        return statistic;
    }

    /** S / h: 0 when in control, ≥ 1 when alarmed. Feed this to {@link DecisionContext#driftScore()}. */
    public synchronized double score() {
        return statistic / threshold;
    }

    /** True from the round that raised the alarm until {@link #reset()}. */
    public synchronized boolean alarmed() {
        return alarmed;
    }

    /** True once warm-up is over and the reference level is set. */
    public synchronized boolean calibrated() {
        return calibratedLocked();
    }

    private boolean calibratedLocked() {
        return !Double.isNaN(refMean);
    }

    /** Rounds observed since the last reset. */
    public synchronized long rounds() {
        return rounds;
    }

    /** Round count (since the last reset) at which the alarm was raised, or -1 if not alarmed. */
    public synchronized long alarmRound() {
        return alarmRound;
    }

    /** Alarms raised over the detector's lifetime. */
    public synchronized long alarmsTotal() {
        return alarmsTotal;
    }

    /** Reference mean μ₀ (NaN during warm-up). */
    public synchronized double referenceMean() {
        return refMean;
    }

    /** Reference per-round standard deviation σ₀ (NaN during warm-up). */
    public synchronized double referenceSd() {
        return refSd;
    }

    public int warmupRounds() {
        return warmupRounds;
    }

    public int blockSize() {
        return blockSize;
    }

    public double allowance() {
        return allowance;
    }

    public double threshold() {
        return threshold;
    }

    /** Forgets the reference and the statistic and starts a new warm-up (call after a hot swap). */
    public synchronized void reset() {
        warmN = 0;
        warmMean = 0;
        warmM2 = 0;
        refMean = Double.NaN;
        refSd = Double.NaN;
        blockSum = 0;
        blockN = 0;
        statistic = 0;
        alarmed = false;
        rounds = 0;
        alarmRound = -1;
    }
}
