package dev.specserve.drafters.update;

/**
 * What an adapter update fits at each labelled position: the target's token, with {@code labelSmoothing} of the
 * mass spread uniformly over the draft vocabulary and {@code anchor} of it on the unadapted drafter's own
 * distribution there (cross-entropy toward that mixture). The anchor is a KL pull toward the bundled drafter:
 * a few hundred labels then move the predictions their evidence speaks to and leave the rest of the distribution,
 * which the labels never saw and the rank head reads to branch, where the drafter's training put it.
 */
public record AdapterObjective(double labelSmoothing, double anchor) {
    public AdapterObjective {
        if (!(labelSmoothing >= 0) || !(anchor >= 0) || !(labelSmoothing + anchor < 1)) {
            throw new IllegalArgumentException("label smoothing and anchor must be >= 0 with a sum below 1, got "
                    + labelSmoothing + " and " + anchor);
        }
    }

    /** Plain cross-entropy toward the target's token. */
    public static AdapterObjective hardLabels() {
        return new AdapterObjective(0, 0);
    }

    /** The weight left on the target's token itself. */
    double hardLabel() {
        return 1 - labelSmoothing - anchor;
    }
}
