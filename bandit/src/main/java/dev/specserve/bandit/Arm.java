package dev.specserve.bandit;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One action the bandit can take for a drafter at a decision epoch.
 *
 * <p>An arm with {@code steps == 0} is the (unique) "do nothing" arm; every other arm is a drafter
 * update: gradient steps on the low-rank adapter, trained on at most {@code sampleBudget} of the fresh
 * verification-labelled samples ({@code 0} = all of them), followed by a hot swap. Its step count is
 * {@code steps}, or, for an arm that scales with its data ({@code stepsPerSample > 0}), enough steps for
 * a fixed number of passes over the samples it trains on, between {@code steps} and {@code maxSteps}:
 * {@link #stepsFor}.
 *
 * @param name           stable identifier, used in logs and events ({@code [A-Za-z0-9_.-]+})
 * @param steps          gradient-step budget (the least, for a scaling arm); 0 means no update
 * @param sampleBudget   data budget: most fresh samples the update may train on; 0 = unlimited
 * @param stepsPerSample steps per sample trained on (epochs ÷ batch size); 0 = always {@code steps}
 * @param maxSteps       most steps a scaling arm takes
 */
public record Arm(String name, int steps, long sampleBudget, double stepsPerSample, int maxSteps) {

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
        if (!(stepsPerSample >= 0) || Double.isInfinite(stepsPerSample)) {
            throw new IllegalArgumentException("arm " + name + ": stepsPerSample must be finite and >= 0, got "
                    + stepsPerSample);
        }
        if (stepsPerSample > 0 && (steps == 0 || maxSteps < steps)) {
            throw new IllegalArgumentException("arm " + name + ": a scaling arm needs 0 < steps <= maxSteps, got steps "
                    + steps + ", maxSteps " + maxSteps);
        }
    }

    /** An arm with a fixed step budget and a data budget. */
    public Arm(String name, int steps, long sampleBudget) {
        this(name, steps, sampleBudget, 0, steps);
    }

    /** An arm with a fixed step budget and no data budget. */
    public Arm(String name, int steps) {
        this(name, steps, 0);
    }

    /**
     * An update arm that trains on every fresh sample for {@code epochs} passes of {@code batch} samples a step,
     * taking at least {@code minSteps} and at most {@code maxSteps} steps: more labels then buy more steps
     * instead of under-fitting them with a fixed budget.
     */
    public static Arm epochs(String name, double epochs, int batch, int minSteps, int maxSteps) {
        return new Arm(name, minSteps, 0, epochs / batch, maxSteps);
    }

    /** Gradient steps an update takes when {@code fresh} samples are available. */
    public int stepsFor(long fresh) {
        if (stepsPerSample == 0) {
            return steps;
        }
        long scaled = (long) Math.ceil(stepsPerSample * usableSamples(fresh));
        return (int) Math.max(steps, Math.min(maxSteps, scaled));
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
