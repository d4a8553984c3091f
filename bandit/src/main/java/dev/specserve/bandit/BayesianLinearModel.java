package dev.specserve.bandit;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.NonPositiveDefiniteMatrixException;
import org.apache.commons.math3.random.RandomGenerator;

/**
 * Bayesian linear regression y = θ·x + ε, ε ~ N(0, σ²), with prior θ ~ N(0, diag(priorVariance)).
 *
 * <p>Given σ², the posterior is Gaussian in closed form: precision A = Λ₀ + XᵀX/σ², mean A⁻¹Xᵀy/σ².
 * σ² itself is estimated from the data (empirical Bayes): the residual sum of squares of the
 * posterior-mean fit, computed from the sufficient statistics, pooled with
 * {@link #NOISE_PSEUDO_COUNT} pseudo-observations at the configured noise variance:
 * σ² = (k₀·σ₀² + RSS)/(k₀ + n). So the configured value is a prior guess that data overrules,
 * and posteriors are neither too wide where rewards are precise nor too narrow where they are noisy.
 * It is floored at σ₀²/100.
 *
 * <p>With {@code discount} γ &lt; 1, past evidence (not the prior) is multiplied by γ per
 * observation. Not thread-safe; the bandit guards it.
 */
final class BayesianLinearModel {

    /** Weight of the configured noise variance, in observations. */
    static final double NOISE_PSEUDO_COUNT = 10.0;

    private final int dim;
    private final double[] priorPrecision;
    private final double priorNoiseVariance;
    private final double discount;
    private final double[][] xtx;
    private final double[] xty;
    private double yty;
    private double weight;        // discounted number of observations
    private long observations;
    private double noiseVariance;
    private Posterior cached;

    BayesianLinearModel(double[] priorVariance, double noiseVariance, double discount) {
        this.dim = priorVariance.length;
        this.priorPrecision = new double[dim];
        for (int i = 0; i < dim; i++) {
            priorPrecision[i] = 1.0 / priorVariance[i];
        }
        this.priorNoiseVariance = noiseVariance;
        this.noiseVariance = noiseVariance;
        this.discount = discount;
        this.xtx = new double[dim][dim];
        this.xty = new double[dim];
    }

    int dim() {
        return dim;
    }

    long observations() {
        return observations;
    }

    /** Current estimate of the noise variance σ². */
    double noiseVariance() {
        return noiseVariance;
    }

    void update(double[] x, double y) {
        if (x.length != dim) {
            throw new IllegalArgumentException("feature length " + x.length + " != " + dim);
        }
        for (int i = 0; i < dim; i++) {
            xty[i] = discount * xty[i] + x[i] * y;
            for (int j = 0; j < dim; j++) {
                xtx[i][j] = discount * xtx[i][j] + x[i] * x[j];
            }
        }
        yty = discount * yty + y * y;
        weight = discount * weight + 1;
        observations++;
        cached = null;
    }

    Posterior posterior() {
        if (cached == null) {
            if (weight > 0) {
                // one fixed-point step: fit with the current σ², re-estimate σ² from its residuals, refit
                noiseVariance = estimateNoise(solve(noiseVariance).mean);
            }
            cached = solve(noiseVariance);
        }
        return cached;
    }

    /**
     * The posterior {@link #posterior()} would return, without changing any state (the noise
     * estimate's fixed-point step is taken on a copy).
     */
    Posterior peekPosterior() {
        if (cached != null) {
            return cached;
        }
        return solve(weight > 0 ? estimateNoise(solve(noiseVariance).mean) : noiseVariance);
    }

    private double estimateNoise(double[] mean) {
        // RSS = yᵀy − 2μᵀXᵀy + μᵀXᵀXμ
        double rss = yty - 2 * dot(mean, xty);
        for (int i = 0; i < dim; i++) {
            double row = 0;
            for (int j = 0; j < dim; j++) {
                row += xtx[i][j] * mean[j];
            }
            rss += mean[i] * row;
        }
        rss = Math.max(0, rss);
        double v = (NOISE_PSEUDO_COUNT * priorNoiseVariance + rss) / (NOISE_PSEUDO_COUNT + weight);
        return Math.max(v, priorNoiseVariance / 100);
    }

    private Posterior solve(double sigma2) {
        double inv = 1.0 / sigma2;
        double[][] a = new double[dim][dim];
        double[] b = new double[dim];
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < dim; j++) {
                a[i][j] = xtx[i][j] * inv;
            }
            a[i][i] += priorPrecision[i];
            b[i] = xty[i] * inv;
        }
        CholeskyDecomposition chol;
        try {
            chol = new CholeskyDecomposition(new Array2DRowRealMatrix(a, false));
        } catch (NonPositiveDefiniteMatrixException e) {
            // cannot happen in exact arithmetic (A ≥ Λ₀ > 0); guard against round-off with a jitter
            double jitter = 0;
            for (int i = 0; i < dim; i++) {
                jitter = Math.max(jitter, a[i][i]);
            }
            for (int i = 0; i < dim; i++) {
                a[i][i] += 1e-9 * jitter;
            }
            chol = new CholeskyDecomposition(new Array2DRowRealMatrix(a, false));
        }
        double[] mean = chol.getSolver().solve(new ArrayRealVector(b, false)).toArray();
        return new Posterior(mean, chol.getL().getData(), sigma2);
    }

    /** A posterior snapshot: mean μ and the Cholesky factor L of the precision (A = L Lᵀ). */
    static final class Posterior {
        private final double[] mean;
        private final double[][] lower;
        private final double noiseVariance;

        Posterior(double[] mean, double[][] lower, double noiseVariance) {
            this.mean = mean;
            this.lower = lower;
            this.noiseVariance = noiseVariance;
        }

        /** The noise variance σ² this posterior was solved with. */
        double noiseVariance() {
            return noiseVariance;
        }

        double[] mean() {
            return mean.clone();
        }

        /** μ·x. */
        double mean(double[] x) {
            return dot(mean, x);
        }

        /** xᵀ A⁻¹ x = ‖L⁻¹x‖². */
        double variance(double[] x) {
            int n = mean.length;
            double[] w = new double[n];
            double s = 0;
            for (int i = 0; i < n; i++) {
                double acc = x[i];
                for (int j = 0; j < i; j++) {
                    acc -= lower[i][j] * w[j];
                }
                w[i] = acc / lower[i][i];
                s += w[i] * w[i];
            }
            return s;
        }

        /** θ̃ = μ + L⁻ᵀ z, z ~ N(0, I): then Cov(θ̃) = (L Lᵀ)⁻¹ = A⁻¹. */
        double[] sample(RandomGenerator rng) {
            int n = mean.length;
            double[] z = new double[n];
            for (int i = 0; i < n; i++) {
                z[i] = rng.nextGaussian();
            }
            double[] w = new double[n];
            for (int i = n - 1; i >= 0; i--) {
                double acc = z[i];
                for (int j = i + 1; j < n; j++) {
                    acc -= lower[j][i] * w[j];
                }
                w[i] = acc / lower[i][i];
            }
            for (int i = 0; i < n; i++) {
                w[i] += mean[i];
            }
            return w;
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
