package dev.specserve.controller.adapt;

import dev.specserve.runtime.engine.ServiceUnavailableException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A following replica asked the fleet's trainer to load a drafter file and no version of it was published in time:
 * most likely no trainer runs. Nothing changed on the replica, and the operator can retry once one does, so the
 * admin API answers 503 with this message. An expected outcome, not a fault: it carries no stack trace, so the
 * log's WARN line is the message alone.
 */
final class TrainerDidNotLoad extends ServiceUnavailableException {
    /** The refusal's reason tag. */
    static final String REASON = "no_trainer";

    TrainerDidNotLoad(Path path, Duration timeout) {
        super(REASON, "adaptation=follow: asked the fleet's trainer to load " + path + ", but no trainer published "
                + "a version of it within " + timeout.toSeconds() + " s; nothing changed here. Is a trainer running "
                + "on this updates topic? A trainer that cannot open the file logs a WARN naming it (the file must "
                + "be at the same path there, inside its model_roots).");
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
