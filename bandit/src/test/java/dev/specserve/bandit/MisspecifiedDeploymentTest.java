package dev.specserve.bandit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import org.junit.jupiter.api.Test;

/**
 * The bandit on a deployment whose gain curve, cost growth under load and throughput differ from its own
 * formulas, with rewards measured from delayed round events ({@link MisspecifiedDeployment}).
 */
class MisspecifiedDeploymentTest {

    private static double[] regretAt(long seed, int epochs, int driftEvery) {
        CostAwareBandit b = new CostAwareBandit(BanditConfig.defaults(seed), Clock.systemUTC(), "mis");
        MisspecifiedDeployment env = new MisspecifiedDeployment(seed, driftEvery, b.config().horizonSeconds());
        double[] regret = new double[epochs + 1];
        for (int i = 1; i <= epochs; i++) {
            env.epoch(b, "d");
            regret[i] = env.regret;
        }
        return regret;
    }

    @Test
    void regretGrowsSublinearlyUnderADriftingStream() {
        int t = 600;
        double atT = 0;
        double at2T = 0;
        for (long seed = 1; seed <= 4; seed++) {
            double[] r = regretAt(seed, 2 * t, 40);
            atT += r[t];
            at2T += r[2 * t];
        }
        // linear regret would double; measured 1.4-1.8 per seed, about 1.6 on average
        assertThat(at2T / atT).as("regret(2T) / regret(T), mean over seeds").isLessThan(1.75);
    }

    @Test
    void itUpdatesAfterDriftAndWinsBackMostOfTheLoss() {
        CostAwareBandit b = new CostAwareBandit(BanditConfig.defaults(5), Clock.systemUTC(), "mis");
        MisspecifiedDeployment env = new MisspecifiedDeployment(5, 40, b.config().horizonSeconds());
        for (int i = 1; i <= 800; i++) {
            env.epoch(b, "d");
        }
        // 20 drifts: it must update after most of them
        assertThat(env.updates).isGreaterThanOrEqualTo(15);
    }

    @Test
    void onAStationaryStreamItStaysPut() {
        for (long seed = 1; seed <= 3; seed++) {
            CostAwareBandit b = new CostAwareBandit(BanditConfig.defaults(seed), Clock.systemUTC(), "mis");
            MisspecifiedDeployment env = new MisspecifiedDeployment(seed, 0, b.config().horizonSeconds());
            for (int i = 1; i <= 400; i++) {
                env.epoch(b, "d");
            }
            assertThat(env.updates).as("updates in 400 stationary epochs, seed " + seed).isLessThanOrEqualTo(8); // 2% of epochs; exploration alone may take 5 (ExplorationBudget)
        }
    }
}
