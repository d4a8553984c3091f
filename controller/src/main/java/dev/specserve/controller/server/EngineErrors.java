package dev.specserve.controller.server;

import dev.specserve.runtime.engine.ServiceUnavailableException;
import org.slf4j.Logger;

/** How a request's failure in the engine is logged, on every API alike. */
final class EngineErrors {
    private EngineErrors() {}

    /**
     * A refusal the engine decided (a queue timeout, a shutdown: routine under load, and counted in the metrics) is
     * one INFO line; anything else is a WARN with its stack, since it is a fault.
     */
    static void log(Logger log, String what, Throwable error) {
        if (error instanceof ServiceUnavailableException) {
            log.info("{}: {}", what, error.getMessage());
        } else {
            log.warn("{} failed in the engine", what, error);
        }
    }
}
