package dev.specserve.runtime.plan;

import java.util.Arrays;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;

/**
 * A cost in milliseconds, linear in a few features, refitted continuously from measurements: ridge
 * regression over a sliding window of recent samples, shrunk toward a prior (from a start-up profile), so
 * a window with little spread in the features cannot produce a wild fit.
 *
 * <p>A sample more than {@link #OUTLIER_FACTOR} times the current prediction is left out of the fit and counted
 * ({@link #outliers()}): a session's first run, a collection pause or a preempted thread would otherwise hold
 * the fit up until the window forgets it, and a planner that then stops buying the option never observes it
 * again to correct it. {@link #REGIME_CHANGE} such samples in a row are a real change of cost: from then on they are
 * fitted until one is not an outlier.
 * Not thread-safe.
 */
public final class LinearCostModel {
    /** A sample above this multiple of the prediction is an outlier. */
    static final double OUTLIER_FACTOR = 4;
    /** Outliers in a row after which the cost is taken to have changed and they are fitted. */
    static final int REGIME_CHANGE = 8;
    private final String name;
    private final int window;
    private final int refitEvery;
    private final double ridge;
    private final double[][] xs;
    private final double[] ys;
    private double[] prior;
    private double[] theta;
    private int count;
    private long total;
    private int sinceFit;
    private long outliers;
    private int outliersInARow;

    /**
     * @param prior      coefficients before any measurement
     * @param window     samples kept for the fit
     * @param refitEvery samples between refits
     * @param ridge      pull toward the prior, in units of samples
     */
    public LinearCostModel(String name, double[] prior, int window, int refitEvery, double ridge) {
        this.name = name;
        this.prior = prior.clone();
        this.theta = prior.clone();
        this.window = window;
        this.refitEvery = refitEvery;
        this.ridge = ridge;
        this.xs = new double[window][];
        this.ys = new double[window];
    }

    public String name() {
        return name;
    }

    /** Predicted cost in ms; never negative. */
    public double predict(double... x) {
        double y = 0;
        for (int i = 0; i < theta.length; i++) {
            y += theta[i] * x[i];
        }
        return Math.max(0, y);
    }

    public void observe(double ms, double... x) {
        if (x.length != theta.length || !Double.isFinite(ms)) {
            return;
        }
        if (ms <= OUTLIER_FACTOR * predict(x)) {
            outliersInARow = 0;
        } else if (++outliersInARow <= REGIME_CHANGE) {
            outliers++;
            return;
        }
        int slot = (int) (total % window);
        xs[slot] = x.clone();
        ys[slot] = ms;
        total++;
        count = (int) Math.min(total, window);
        if (++sinceFit >= refitEvery) {
            refit();
        }
    }

    /**
     * Replaces the prior and forgets every sample: the fit is the new prior until new samples arrive (a profile
     * run measured on a warm process supersedes what was measured while it warmed up).
     */
    public void resetPrior(double[] newPrior) {
        prior = newPrior.clone();
        theta = newPrior.clone();
        Arrays.fill(xs, null);
        count = 0;
        total = 0;
        sinceFit = 0;
        outliersInARow = 0;
    }

    /** Ridge fit toward the prior: minimise |y - X t|^2 + ridge * |t - prior|^2 (features scaled). */
    public void refit() {
        sinceFit = 0;
        if (count == 0) {
            return;
        }
        int k = theta.length;
        double[] scale = new double[k];
        for (int j = 0; j < k; j++) {
            double s = 0;
            for (int i = 0; i < count; i++) {
                s = Math.max(s, Math.abs(xs[i][j]));
            }
            scale[j] = s > 0 ? s : 1;
        }
        RealMatrix a = new Array2DRowRealMatrix(k, k);
        RealVector b = new ArrayRealVector(k);
        for (int i = 0; i < count; i++) {
            for (int r = 0; r < k; r++) {
                double xr = xs[i][r] / scale[r];
                b.addToEntry(r, xr * ys[i]);
                for (int c = 0; c < k; c++) {
                    a.addToEntry(r, c, xr * xs[i][c] / scale[c]);
                }
            }
        }
        for (int r = 0; r < k; r++) {
            a.addToEntry(r, r, ridge);
            b.addToEntry(r, ridge * prior[r] * scale[r]);
        }
        try {
            RealVector t = new CholeskyDecomposition(a).getSolver().solve(b);
            double[] next = new double[k];
            for (int j = 0; j < k; j++) {
                next[j] = t.getEntry(j) / scale[j];
            }
            if (Arrays.stream(next).allMatch(Double::isFinite)) {
                theta = next;
            }
        } catch (RuntimeException e) {
            // singular or not positive definite: keep the previous fit
        }
    }

    public double[] coefficients() {
        return theta.clone();
    }

    public long samples() {
        return total;
    }

    /** Samples left out of the fit as outliers so far. */
    public long outliers() {
        return outliers;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(Arrays.stream(theta).map(v -> Math.round(v * 1e4) / 1e4).toArray())
                + " after " + total + " samples" + (outliers > 0 ? " (" + outliers + " outliers left out)" : "");
    }
}
