package dev.specserve.controller.server;

import static dev.specserve.controller.server.HttpReplies.error;
import static dev.specserve.controller.server.HttpReplies.open;

import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A {@link ChoicesReply} as an event stream. Writes the head when its first choice leaves the queue (a refusal before that is a plain HTTP error; one of a later choice, with n > 1, an error event); then, per choice, the opening chunk with its first text (so a client timing
 * its first chunk times the first token, not the queue), each text delta as an event and its last chunk;
 * once every choice is done, with {@code include_usage} a usage chunk with no choices (OpenAI's), and
 * {@code [DONE]}. The last chunk of the last choice to finish carries the request's usage too, unless
 * {@code include_usage} moves it to a chunk of its own (and then every other chunk says {@code "usage": null},
 * as OpenAI's do). The shape writes each chunk as event text ({@link ResponseShape#sse}) and says how a stream
 * ends. HTTP/1.0 has no chunked encoding, so a 1.0 client (nginx proxies with 1.0 unless told otherwise) gets
 * the same events in one body with its length once the stream has ended.
 */
final class SseChoicesReply extends ChoicesReply {
    private final boolean includeUsage;
    private final boolean[] opened;
    private final int[] textOffset;
    private final io.vertx.core.buffer.Buffer whole; // HTTP/1.0: the events so far; else null

    SseChoicesReply(HttpServerResponse resp, ResponseShape shape, ResponseShape.Head head, CompletionRequest req,
                    boolean http10) {
        super(resp, shape, head, req);
        this.includeUsage = req.includeUsage();
        this.opened = new boolean[n()];
        this.textOffset = new int[n()];
        this.whole = http10 ? io.vertx.core.buffer.Buffer.buffer() : null;
    }

    @Override
    void started() {
        writeHead();
    }

    @Override
    void tokens(int index, String textDelta, List<TokenLogprob> lps) {
        if ((!textDelta.isEmpty() || !lps.isEmpty()) && open(resp)) {
            JsonObject delta = shape.delta(head, index, textDelta, lps, textOffset[index]);
            if (delta != null) { // a shape may hold text back (tool calls come whole at the end)
                event(index, delta);
            }
            textOffset[index] += CompletionLogprobsJson.textLength(lps);
        }
    }

    @Override
    void completed(int index, boolean last) {
        if (!open(resp)) {
            return;
        }
        JsonObject chunk = shape.last(head, index, results[index], stats[index]);
        if (includeUsage || !last) {
            chunk.remove("usage"); // a chunk of its own; with several choices, the last one's
        } else {
            withUsage(chunk); // every choice is done: the whole request's
        }
        event(index, chunk);
        if (last) {
            if (includeUsage) {
                write(shape.usage(head, results[0]).put("usage", usage()));
            }
            end();
        }
    }

    /**
     * Refused before the stream began (a full queue, say): a plain HTTP error with its status and, for 429,
     * Retry-After, which the OpenAI clients retry; after it began, an error event and the stream's end.
     */
    @Override
    void writeError(ApiError e) {
        if (!open(resp)) {
            return;
        }
        if (!resp.headWritten()) {
            error(resp, e);
            return;
        }
        boolean anyOpened = false;
        for (boolean o : opened) {
            anyOpened |= o;
        }
        JsonObject opening = anyOpened ? null : shape.opening(head);
        if (opening != null) { // failed before its first event: the error still follows the stream's opening
            opened[0] = true;  // (a Responses stream's response.created, which clients build their snapshot from)
            write(indexed(opening, 0));
        }
        write(shape.streamError(head, e));
        end();
    }

    /** Writes the event-stream head once (when a choice starts, or before the first event). */
    private void writeHead() {
        if (resp.headWritten() || !open(resp) || (whole != null && resp.headers().contains("X-Request-Id"))) {
            return;
        }
        if (whole == null) {
            resp.setChunked(true);
        }
        resp.putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("X-Accel-Buffering", "no")
                .putHeader("X-Request-Id", head.id());
        if (whole == null) {
            resp.writeHead();
        }
    }

    /** A chunk of choice {@code index}, after that choice's opening chunk (and echoed prompt) if it has not had them. */
    private void event(int index, JsonObject chunk) {
        writeHead();
        if (!opened[index]) {
            opened[index] = true;
            JsonObject opening = shape.opening(head);
            if (opening != null) {
                write(indexed(opening, index));
            }
            String echo = head(index).echo();
            if (echo != null) { // the echoed prompt comes first, as vLLM streams it
                write(indexed(shape.delta(head, index, echo, List.of(), 0), index));
            }
        }
        write(indexed(chunk, index));
    }

    private void write(JsonObject chunk) {
        if (includeUsage && !chunk.containsKey("usage")) {
            chunk.putNull("usage");
        }
        write(shape.sse(chunk));
    }

    private void write(String event) {
        if (whole != null) {
            whole.appendString(event);
        } else {
            resp.write(event);
        }
    }

    /** The shape's end-of-stream line, if it has one, then the end of the response. */
    private void end() {
        String end = shape.sseEnd();
        if (!end.isEmpty()) {
            write(end);
        }
        if (whole != null) {
            resp.end(whole);
        } else {
            resp.end();
        }
    }
}
