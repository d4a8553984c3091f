package dev.specserve.drafters;

/**
 * The drafter's low-rank output adapter h' = h + B(A h), fed to the graph as inputs so a new version
 * applies on the next call without rebuilding the session. A is [rank][dim], B is [dim][rank], row-major.
 */
public record Adapter(int rank, int dim, float[] a, float[] b) {
    public Adapter {
        if (a.length != rank * dim || b.length != dim * rank) {
            throw new IllegalArgumentException("adapter tensors must be " + rank + "x" + dim + " and " + dim + "x" + rank
                    + ", got " + a.length + " and " + b.length + " values");
        }
        for (float v : a) {
            requireFinite(v);
        }
        for (float v : b) {
            requireFinite(v);
        }
    }

    public static Adapter zero(int rank, int dim) {
        return new Adapter(rank, dim, new float[rank * dim], new float[dim * rank]);
    }

    private static void requireFinite(float v) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("adapter contains a non-finite value: " + v);
        }
    }
}
