package dev.specserve.bandit;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One action the bandit can take for a drafter at a decision epoch.
 *
 * <p>An arm with {@code steps == 0} is the (unique) "do nothing" arm; every other arm is a drafter
 * update: {@code steps} gradient steps on the low-rank adapter, trained on at most
 * {@code sampleBudget} of the fresh verification-labelled samples ({@code 0} = all of them),
 * followed by a hot swap.
 *
 * @param name         stable identifier, used in logs and events ({@code [A-Za-z0-9_.-]+})
 * @param steps        gradient-step budget; 0 means no update
 * @param sampleBudget data budget: most fresh samples the update may train on; 0 = unlimited
 */
public record Arm(String name, int steps, long sampleBudget) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");

    /** Do not update. */
    public static final Arm WAIT = new Arm("WAIT", 0);
    /** A short update: few steps on the most recent samples. */
    public static final Arm UPDATE_SMALL = new Arm("UPDATE_SMALL", 8, 256);
    /** A long update: more steps on every fresh sample. */
    public static final Arm UPDATE_LARGE = new Arm("UPDATE_LARGE", 32, 0);

    public Arm {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("arm name must match [A-Za-z0-9_.-]+: '" + name + "'");
        }
        if (steps < 0) {
            throw new IllegalArgumentException("arm " + name + ": steps must be >= 0, got " + steps);
        }
        if (sampleBudget < 0) {
            throw new IllegalArgumentException("arm " + name + ": sampleBudget must be >= 0, got " + sampleBudget);
        }
    }

    /** An arm with a step budget and no data budget. */
    public Arm(String name, int steps) {
        this(name, steps, 0);
    }

    /** True for the no-update arm. */
    public boolean isWait() {
        return steps == 0;
    }

    /** Samples an update would train on, given {@code fresh} available samples. */
    public long usableSamples(long fresh) {
        return sampleBudget == 0 ? fresh : Math.min(fresh, sampleBudget);
    }

    /** {@link #WAIT}, {@link #UPDATE_SMALL}, {@link #UPDATE_LARGE}. */
    public static List<Arm> defaults() {
        return List.of(WAIT, UPDATE_SMALL, UPDATE_LARGE);
    }
}
