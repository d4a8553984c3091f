package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What a bridge connection's bytes become: whole frames, or one refusal naming why. */
class BridgeFrameReaderTest {
    final List<JsonObject> frames = new ArrayList<>();
    final List<BridgeFrameReader.Refusal> refusals = new ArrayList<>();
    final BridgeFrameReader.Sink sink = new BridgeFrameReader.Sink() {
        @Override
        public void frame(Buffer whole, JsonObject body) {
            assertThat(whole.getInt(0)).isEqualTo(whole.length() - 4);
            frames.add(body);
        }

        @Override
        public void refuse(BridgeFrameReader.Refusal why, String detail) {
            refusals.add(why);
        }
    };

    static Buffer frame(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return Buffer.buffer().appendInt(b.length).appendBytes(b);
    }

    @Test
    void frames_come_whole_however_the_bytes_are_cut() {
        AtomicLong budget = new AtomicLong(1 << 20);
        BridgeFrameReader reader = new BridgeFrameReader(1024, TimeUnit.SECONDS.toNanos(30), budget);
        Buffer bytes = frame("{\"type\":\"ping\"}").appendBuffer(frame("{\"a\":1}")).appendBuffer(frame("{\"b\":2}"));

        for (int i = 0; i < bytes.length(); i++) { // byte by byte
            reader.feed(bytes.slice(i, i + 1), sink);
        }
        reader.feed(bytes, sink); // all at once

        assertThat(frames).hasSize(6);
        assertThat(frames.get(1).getInteger("a")).isEqualTo(1);
        assertThat(refusals).isEmpty();
        assertThat(budget.get()).as("whole frames give their bytes back").isEqualTo(1 << 20);
    }

    @Test
    void an_oversized_an_unparseable_a_slow_and_an_over_budget_frame_are_each_refused_by_name() throws Exception {
        AtomicLong budget = new AtomicLong(1 << 20);
        new BridgeFrameReader(16, TimeUnit.SECONDS.toNanos(30), budget).feed(Buffer.buffer().appendInt(17), sink);
        new BridgeFrameReader(1024, TimeUnit.SECONDS.toNanos(30), budget).feed(frame("[1]"), sink);
        BridgeFrameReader slow = new BridgeFrameReader(1024, TimeUnit.MILLISECONDS.toNanos(50), budget);
        Buffer half = frame("{\"type\":\"ping\"}");
        slow.feed(half.slice(0, 6), sink);
        Thread.sleep(100);
        slow.feed(half.slice(6, half.length()), sink);
        AtomicLong small = new AtomicLong(100);
        BridgeFrameReader first = new BridgeFrameReader(1024, TimeUnit.SECONDS.toNanos(30), small);
        first.feed(Buffer.buffer().appendInt(200).appendBytes(new byte[90]), sink); // holds 94 of 100
        new BridgeFrameReader(1024, TimeUnit.SECONDS.toNanos(30), small).feed(frame("{\"type\":\"ping\"}"), sink);

        assertThat(refusals).containsExactly(BridgeFrameReader.Refusal.frame_too_large,
                BridgeFrameReader.Refusal.invalid_frame, BridgeFrameReader.Refusal.frame_timeout,
                BridgeFrameReader.Refusal.server_busy);
        assertThat(budget.get()).as("refused frames give their bytes back").isEqualTo(1 << 20);
        first.release(); // its connection closed
        assertThat(small.get()).isEqualTo(100);
    }

    /**
     * A client that sends all of a frame but its last byte and goes quiet is refused once the deadline passes, with
     * no further byte from it, and the frame's bytes go back to the shared budget: otherwise they were held until
     * the connection's idle timeout, and 64 such clients refused every other connection as server_busy.
     */
    @Test
    void a_frame_left_unfinished_by_a_quiet_client_expires_at_its_deadline() throws Exception {
        AtomicLong budget = new AtomicLong(1 << 20);
        BridgeFrameReader reader = new BridgeFrameReader(1024, TimeUnit.MILLISECONDS.toNanos(50), budget);
        Buffer frame = frame("{\"type\":\"ping\"}");
        reader.feed(frame.slice(0, frame.length() - 1), sink);

        assertThat(reader.expire(sink)).as("before the deadline").isFalse();
        assertThat(budget.get()).isLessThan(1 << 20);
        Thread.sleep(100);
        assertThat(reader.expire(sink)).isTrue();

        assertThat(refusals).containsExactly(BridgeFrameReader.Refusal.frame_timeout);
        assertThat(budget.get()).isEqualTo(1 << 20);
        assertThat(reader.expire(sink)).as("refused once").isFalse();
        BridgeFrameReader idle = new BridgeFrameReader(1024, TimeUnit.MILLISECONDS.toNanos(50), budget);
        idle.feed(frame, sink);
        Thread.sleep(100);
        assertThat(idle.expire(sink)).as("no partial frame, nothing to expire").isFalse();
    }
}
