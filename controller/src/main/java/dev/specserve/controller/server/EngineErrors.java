package dev.specserve.controller.server;

import org.slf4j.Logger;

/** How a request's failure in the engine is logged, on every API alike. */
final class EngineErrors {
    private EngineErrors() {}

    /**
     * The error to answer a request's failure in the engine with, logged once: a fault (a 500) at ERROR with its
     * stack and incident id ({@link ApiError#from(Throwable, String)}); a refusal (a queue timeout, a shutdown, a
     * request the engine found invalid: routine, and counted in the metrics) as one INFO line.
     */
    static ApiError answer(Logger log, String what, Throwable error) {
        ApiError e = ApiError.from(error, what);
        if (e.status() != 500) {
            log.info("{}: {} {}", what, e.status(), error.getMessage());
        }
        return e;
    }
}
