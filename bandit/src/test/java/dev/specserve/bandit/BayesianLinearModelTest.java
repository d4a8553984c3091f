package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.junit.jupiter.api.Test;

class BayesianLinearModelTest {

    private static final double[] PRIOR = {2.0, 0.5, 1.0};
    private static final double NOISE = 0.25;

    /** Posterior precision computed the textbook way, for a given noise variance. */
    private static RealMatrix precision(double[][] xs, double noise) {
        RealMatrix a = new Array2DRowRealMatrix(3, 3);
        for (int i = 0; i < 3; i++) {
            a.setEntry(i, i, 1 / PRIOR[i]);
        }
        for (double[] x : xs) {
            RealVector v = new ArrayRealVector(x);
            a = a.add(v.outerProduct(v).scalarMultiply(1 / noise));
        }
        return a;
    }

    @Test
    void posteriorMatchesTheClosedFormAndSamplesHaveItsCovariance() {
        RandomGenerator rng = new Well19937c(11);
        BayesianLinearModel m = new BayesianLinearModel(PRIOR, NOISE, 1.0);
        double[][] xs = new double[30][];
        RealVector xty = new ArrayRealVector(3);
        for (int n = 0; n < xs.length; n++) {
            xs[n] = new double[] {1, rng.nextGaussian(), rng.nextDouble()};
            double y = 0.3 - 0.7 * xs[n][1] + 1.5 * xs[n][2] + 0.5 * rng.nextGaussian();
            m.update(xs[n], y);
            xty = xty.add(new ArrayRealVector(xs[n]).mapMultiply(y));
        }
        BayesianLinearModel.Posterior post = m.posterior();
        double noise = m.noiseVariance(); // estimated from the data; the closed form is given σ²
        assertThat(noise).isBetween(0.1, 0.5);
        RealMatrix cov = new LUDecomposition(precision(xs, noise)).getSolver().getInverse();
        RealVector mean = cov.operate(xty.mapMultiply(1 / noise));
        assertThat(post.mean()).containsExactly(mean.toArray(), within(1e-9));
        double[] probe = {1, 0.4, -2};
        RealVector pv = new ArrayRealVector(probe);
        assertThat(post.variance(probe)).isCloseTo(pv.dotProduct(cov.operate(pv)), within(1e-10));
        assertThat(post.mean(probe)).isCloseTo(mean.dotProduct(pv), within(1e-10));

        int draws = 40_000;
        double[] sum = new double[3];
        double[][] sq = new double[3][3];
        RandomGenerator sampler = new Well19937c(5);
        for (int k = 0; k < draws; k++) {
            double[] t = post.sample(sampler);
            for (int i = 0; i < 3; i++) {
                sum[i] += t[i];
                for (int j = 0; j < 3; j++) {
                    sq[i][j] += (t[i] - mean.getEntry(i)) * (t[j] - mean.getEntry(j));
                }
            }
        }
        for (int i = 0; i < 3; i++) {
            double sd = Math.sqrt(cov.getEntry(i, i));
            assertThat(sum[i] / draws).isCloseTo(mean.getEntry(i), within(4 * sd / Math.sqrt(draws)));
            for (int j = 0; j < 3; j++) {
                double scale = Math.sqrt(cov.getEntry(i, i) * cov.getEntry(j, j));
                assertThat(sq[i][j] / draws).isCloseTo(cov.getEntry(i, j), within(0.05 * scale));
            }
        }
    }

    @Test
    void withoutDataThePosteriorIsThePrior() {
        BayesianLinearModel.Posterior post = new BayesianLinearModel(PRIOR, NOISE, 1.0).posterior();
        assertThat(post.mean()).containsExactly(0, 0, 0);
        assertThat(post.variance(new double[] {1, 1, 1})).isCloseTo(3.5, within(1e-12));
    }

    @Test
    void learnsTheNoiseLevelWhateverItWasToldToExpect() {
        for (double told : new double[] {1e-4, 1.0}) {
            RandomGenerator rng = new Well19937c(21);
            BayesianLinearModel m = new BayesianLinearModel(new double[] {1, 1}, told, 1.0);
            for (int i = 0; i < 2000; i++) {
                double x = rng.nextGaussian();
                m.update(new double[] {1, x}, 0.2 + 0.5 * x + 0.2 * rng.nextGaussian()); // σ² = 0.04
            }
            m.posterior();
            assertThat(m.noiseVariance()).as("told %s", told).isCloseTo(0.04, within(0.01));
        }
    }

    @Test
    void discountingLetsTheModelFollowAChangedRelation() {
        BayesianLinearModel kept = new BayesianLinearModel(new double[] {1.0}, 0.01, 1.0);
        BayesianLinearModel forgetting = new BayesianLinearModel(new double[] {1.0}, 0.01, 0.95);
        for (int i = 0; i < 500; i++) {
            kept.update(new double[] {1}, 1.0);
            forgetting.update(new double[] {1}, 1.0);
        }
        for (int i = 0; i < 100; i++) {
            kept.update(new double[] {1}, -1.0);
            forgetting.update(new double[] {1}, -1.0);
        }
        assertThat(kept.posterior().mean()[0]).isCloseTo(2.0 / 3.0, within(0.01));
        assertThat(forgetting.posterior().mean()[0]).isCloseTo(-1.0, within(0.02));
    }
}
