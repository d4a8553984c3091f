package dev.specserve.controller.server;

import dev.specserve.runtime.engine.QueueFullException;
import dev.specserve.runtime.engine.ServiceUnavailableException;
import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonObject;

/**
 * An error as both APIs report it. HTTP answers with {@link #status()} and the OpenAI-style body
 * {@code {"error":{"message","type","param","code"}}}; the event bus fails the message with
 * {@code failureCode = status} and the same inner object, JSON-encoded, as the failure message.
 *
 * <p>Codes: 400 invalid request (param names the field), 404 unknown route or model, 429 queue full (retry later),
 * 500 internal error, 503 not ready, shutting down, or the request's timeout ran out before it started.
 */
public record ApiError(int status, String message, String type, String param) {
    public static final String INVALID_REQUEST = "invalid_request_error";

    public static ApiError invalid(String param, String message) {
        return new ApiError(400, message, INVALID_REQUEST, param);
    }

    /** The client closed its connection before its request was submitted (nginx's 499); counted, never sent. */
    public static ApiError clientClosed() {
        return new ApiError(499, "client closed the connection before the request was submitted", "client_closed",
                null);
    }

    /** Maps an exception from parsing or from the engine to its error. */
    public static ApiError from(Throwable t) {
        return from(t, null);
    }

    /**
     * Maps an exception to its error; an internal one is logged here, once, at ERROR with its stack, under the
     * incident id the client gets and {@code context} (the request it failed, or null).
     */
    public static ApiError from(Throwable t, String context) {
        if (t instanceof ModelNotFoundException e) {
            return new ApiError(404, e.getMessage(), INVALID_REQUEST, "model");
        }
        if (t instanceof InvalidRequestException e) {
            return invalid(e.field(), e.getMessage());
        }
        if (t instanceof QueueFullException e) {
            return new ApiError(QueueFullException.FAILURE_CODE, e.getMessage(), "rate_limit_error", null);
        }
        if (t instanceof ServiceUnavailableException e) {
            return new ApiError(ServiceUnavailableException.FAILURE_CODE, e.getMessage(), "service_unavailable",
                    null);
        }
        // the exception's text can name classes, paths and internals: it goes to the log, under an id the client gets
        String incident = java.util.UUID.randomUUID().toString().substring(0, 8);
        org.slf4j.LoggerFactory.getLogger(ApiError.class).error("internal error {} answered as 500{}", incident,
                context == null ? "" : " (" + context + ")", t);
        return new ApiError(500, "internal error " + incident + " (the server log has the details)", "internal_error",
                null);
    }

    /** The metrics reason tag for a refused request, as the engine names its own: invalid_&lt;field&gt;, queue_full. */
    public String rejectionReason() {
        return switch (status) {
            case 400 -> param == null ? "invalid_request" : "invalid_" + param;
            case 404 -> "model_not_found";
            case 413 -> "body_too_large";
            case 415 -> "unsupported_media_type";
            case 429 -> "queue_full";
            case 499 -> "client_closed";
            case 503 -> "unavailable";
            default -> "error_" + status;
        };
    }

    /** The inner error object. */
    public JsonObject toJson() {
        return new JsonObject().put("message", message).put("type", type).put("param", param).put("code", status);
    }

    /** The HTTP body: {@code {"error": {...}}}. */
    public JsonObject toBody() {
        return new JsonObject().put("error", toJson());
    }
}
