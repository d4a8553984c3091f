package dev.specserve.drafters.update;

/** Adam on a flat parameter array, with decoupled weight decay. */
final class Adam {
    private final float[] m;
    private final float[] v;

    Adam(int n) {
        m = new float[n];
        v = new float[n];
    }

    void step(float[] w, float[] g, int t, double lr, double decay) {
        double b1 = 0.9;
        double b2 = 0.999;
        double c1 = 1 - Math.pow(b1, t);
        double c2 = 1 - Math.pow(b2, t);
        for (int i = 0; i < w.length; i++) {
            m[i] = (float) (b1 * m[i] + (1 - b1) * g[i]);
            v[i] = (float) (b2 * v[i] + (1 - b2) * g[i] * g[i]);
            double update = (m[i] / c1) / (Math.sqrt(v[i] / c2) + 1e-8) + decay * w[i];
            w[i] -= (float) (lr * update);
        }
    }
}
