package dev.specserve.runtime.ort;

import java.util.Locale;

/**
 * The {@code threads} setting: ONNX Runtime intra-op threads per session. {@code auto} leaves one core to
 * everything that is not model compute (the event loops, HTTP, tokenization, the Java half of each round, the
 * Kafka clients), since a pool that takes every core makes each forward wait for a busy core; see the README's
 * performance section for the measurement that chose it.
 */
public final class IntraOpThreads {
    public static final String AUTO = "auto";
    public static final String EXPECTATION = "auto (one less than the cores, at least 1) or an integer >= 1";

    private IntraOpThreads() {}

    /** {@code auto} or a positive integer; anything else is an {@link IllegalArgumentException} naming it. */
    public static int resolve(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals(AUTO)) {
            return auto(Runtime.getRuntime().availableProcessors());
        }
        try {
            int n = Integer.parseInt(s);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // falls through to the error below
        }
        throw new IllegalArgumentException("threads must be " + EXPECTATION + ", got '" + spec + "'");
    }

    /**
     * The {@code prefill_threads} setting: intra-op threads for prefill chunks' forwards. {@code auto} is every core
     * (at least {@code threads}): a chunk's products are large enough that a second core shortens them, where a
     * decode step's small ones mostly wait on it.
     */
    public static int prefill(String spec, int threads) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals(AUTO)) {
            return Math.max(threads, Runtime.getRuntime().availableProcessors());
        }
        return resolve(spec);
    }

    /** What {@code auto} means on a machine with {@code cores} processors. */
    public static int auto(int cores) {
        return Math.max(1, cores - 1);
    }
}
