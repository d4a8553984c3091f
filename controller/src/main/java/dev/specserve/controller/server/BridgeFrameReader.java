package dev.specserve.controller.server;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cuts one bridge connection's bytes into whole frames (a 4-byte big-endian length, then that many bytes of a
 * JSON object), so the bridge behind it only ever sees complete, parseable frames and holds no partial one. What a
 * client can make the server hold is bounded three ways: a frame announcing more than {@code maxFrameBytes} is
 * refused before any of it is kept; a frame must arrive whole within {@code deadlineNanos} of its first byte (checked
 * as bytes arrive, and by {@link #expire} for a client that went quiet mid-frame); and
 * the partial frames of every connection together stay under the shared {@code budget}, since each connection
 * alone could be kept under its limit by a client opening thousands. Not thread-safe: one connection's event loop
 * feeds it.
 */
final class BridgeFrameReader {
    /** Why a connection's bytes were refused; its name is the {@code err} frame's message. */
    enum Refusal {
        frame_too_large, invalid_frame, frame_timeout, server_busy,
        /** Not the reader's: a whole frame the bridge cannot act on, refused alone while the connection goes on. */
        invalid_headers
    }

    /** What the reader finds in the bytes. */
    interface Sink {
        /** A whole frame: its bytes (length prefix included) and its body. */
        void frame(Buffer whole, JsonObject body);

        /** The bytes cannot be framed any further; nothing more is read. */
        void refuse(Refusal why, String detail);
    }

    private final int maxFrameBytes;
    private final long deadlineNanos;
    private final AtomicLong budget;
    private Buffer partial = Buffer.buffer(); // the frame being read, length prefix included
    private long startedNanos;
    private long length = -1; // the current frame's announced body length, once its prefix is read
    private boolean refused;

    /**
     * @param budget bytes every connection's partial frames may still take together (shared, counted down here
     *               and given back as frames complete or connections close)
     */
    BridgeFrameReader(int maxFrameBytes, long deadlineNanos, AtomicLong budget) {
        this.maxFrameBytes = maxFrameBytes;
        this.deadlineNanos = deadlineNanos;
        this.budget = budget;
    }

    /** Reads {@code bytes}, reporting each whole frame and at most one refusal, after which it reads nothing. */
    void feed(Buffer bytes, Sink sink) {
        int i = 0;
        while (i < bytes.length() && !refused) {
            if (partial.length() == 0) {
                startedNanos = System.nanoTime();
            } else if (expire(sink)) {
                return;
            }
            int want = length < 0 ? 4 - partial.length() : (int) (4 + length - partial.length());
            int take = Math.min(want, bytes.length() - i);
            if (budget.addAndGet(-take) < 0) {
                budget.addAndGet(take);
                refuse(sink, Refusal.server_busy, "the bridge's buffer for incoming frames is full");
                return;
            }
            partial.appendBuffer(bytes, i, take);
            i += take;
            if (length < 0 && partial.length() == 4) {
                length = partial.getInt(0);
                if (length < 0 || length > maxFrameBytes) {
                    refuse(sink, Refusal.frame_too_large, String.valueOf(length));
                    return;
                }
            }
            if (length >= 0 && partial.length() == 4 + length) {
                Buffer whole = partial;
                release();
                JsonObject body = body(whole, sink);
                if (body != null) {
                    sink.frame(whole, body);
                }
            }
        }
    }

    /**
     * Refuses the partial frame if it has taken longer than the deadline: what bounds a client that sends all of a
     * frame but its last byte and goes quiet, whose bytes would otherwise be held (and the shared budget with them)
     * until the connection's idle timeout. Returns whether it refused.
     */
    boolean expire(Sink sink) {
        if (refused || partial.length() == 0 || System.nanoTime() - startedNanos <= deadlineNanos) {
            return false;
        }
        refuse(sink, Refusal.frame_timeout, "a frame took over " + deadlineNanos / 1_000_000 + " ms to arrive");
        return true;
    }

    /** Gives the partial frame's bytes back to the shared budget (a frame completed, or the connection closed). */
    void release() {
        budget.addAndGet(partial.length());
        partial = Buffer.buffer();
        length = -1;
    }

    private JsonObject body(Buffer whole, Sink sink) {
        String problem;
        try {
            Object value = whole.length() == 4 ? null : Json.decodeValue(whole.slice(4, whole.length()));
            if (value instanceof JsonObject o) {
                return o;
            }
            problem = "frame body is " + (value == null ? "empty" : "JSON but not an object") + ", not a JSON object";
        } catch (DecodeException e) {
            problem = "frame body is not JSON";
        }
        refuse(sink, Refusal.invalid_frame, problem);
        return null;
    }

    private void refuse(BridgeFrameReader.Sink sink, Refusal why, String detail) {
        refused = true;
        release();
        sink.refuse(why, detail);
    }
}
