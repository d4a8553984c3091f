package dev.specserve.controller.server;

import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * How one HTTP API writes a generation: the whole answer, or the chunks of a server-sent-event stream. The
 * completions API ({@link CompletionJson#TEXT}) and the chat completions API ({@link ChatJson#CHAT}) share the
 * request handling, admission and streaming code and differ only here. The Responses API ({@link ResponsesJson}) also
 * writes its stream differently: named events, several per chunk, and no {@code [DONE]} line.
 */
interface ResponseShape {
    /**
     * The identity every object of one response repeats, and the prompt to echo before each choice's text (null
     * for none: only the completions API echoes).
     */
    record Head(String id, long created, String model, String echo) {
        Head(String id, long created, String model) {
            this(id, created, model, null);
        }
    }

    /** Request ids of this API start with this, e.g. {@code cmpl-}. */
    String idPrefix();

    /**
     * Whether the response's id is a handle to something stored (a Responses API id reads, continues and deletes
     * the stored response). Such an id never leaves in telemetry: the engine, its logs and the feedback events know
     * the request by an id of their own.
     */
    default boolean idIsHandle() {
        return false;
    }

    /** The non-streaming answer. */
    JsonObject completion(Head head, GenerationResult result, RequestStats stats);

    /** The chunk that opens a stream before any text, or null for none. */
    JsonObject opening(Head head);

    /**
     * A text delta of choice {@code choice}, or null to send nothing for it; {@code logprobs} of its tokens may be
     * empty. {@code textOffset} is the number of characters
     * the tokens before these added (the completions API reports offsets).
     */
    JsonObject delta(Head head, int choice, String text, List<TokenLogprob> logprobs, int textOffset);

    /** The last chunk of choice {@code choice}: finish reason, usage and speculation figures. */
    JsonObject last(Head head, int choice, GenerationResult result, RequestStats stats);

    /** The chunk {@code stream_options.include_usage} adds after the last: no choices, the usage. */
    JsonObject usage(Head head, GenerationResult result);

    /**
     * One chunk as server-sent-event text. The completion APIs send each chunk as one {@code data:} line; the
     * Responses API names each event and may send several for one chunk.
     */
    default String sse(JsonObject chunk) {
        return "data: " + chunk.encode() + "\n\n";
    }

    /** What ends a stream after its last chunk: the completion APIs' {@code data: [DONE]}; empty for none. */
    default String sseEnd() {
        return "data: [DONE]\n\n";
    }

    /** The chunk that reports {@code error} in a stream that has begun: the completion APIs send the error body. */
    default JsonObject streamError(Head head, ApiError error) {
        return error.toBody();
    }

    /** A refusal by the engine, in this API's terms (e.g. the engine's prompt is the chat API's messages). */
    default ApiError refusal(ApiError error) {
        return error;
    }
}
