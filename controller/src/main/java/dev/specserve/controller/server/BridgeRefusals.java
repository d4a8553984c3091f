package dev.specserve.controller.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Counts what the TCP bridge refuses for its bytes, one counter per reason, and logs each reason once a minute. */
final class BridgeRefusals {
    private static final Logger LOG = LoggerFactory.getLogger(TcpBridgeVerticle.class);
    /** Rendered by Prometheus as {@code specserve_bridge_frames_oversized_total}. */
    static final String OVERSIZED = "specserve.bridge.frames_oversized";
    /** Rendered by Prometheus as {@code specserve_bridge_frames_invalid_total}. */
    static final String INVALID = "specserve.bridge.frames_invalid";
    /** Rendered by Prometheus as {@code specserve_bridge_frames_timed_out_total}. */
    static final String TIMED_OUT = "specserve.bridge.frames_timed_out";
    /** Rendered by Prometheus as {@code specserve_bridge_frames_refused_total}. */
    static final String REFUSED = "specserve.bridge.frames_refused";
    /** Rendered by Prometheus as {@code specserve_bridge_frames_over_budget_total}. */
    static final String OVER_BUDGET = "specserve.bridge.frames_over_budget";
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    private final Map<BridgeFrameReader.Refusal, Counter> counters = new EnumMap<>(BridgeFrameReader.Refusal.class);
    private final Map<BridgeFrameReader.Refusal, Long> lastLogged = new ConcurrentHashMap<>();

    BridgeRefusals(MeterRegistry registry) {
        counters.put(BridgeFrameReader.Refusal.frame_too_large, Counter.builder(OVERSIZED)
                .description("TCP-bridge connections closed for a frame over bridge_max_frame_bytes").register(registry));
        counters.put(BridgeFrameReader.Refusal.invalid_frame, Counter.builder(INVALID)
                .description("TCP-bridge connections closed for a frame the bridge could not parse").register(registry));
        counters.put(BridgeFrameReader.Refusal.frame_timeout, Counter.builder(TIMED_OUT)
                .description("TCP-bridge connections closed for a frame that did not arrive whole within 30 s")
                .register(registry));
        counters.put(BridgeFrameReader.Refusal.invalid_headers, Counter.builder(REFUSED)
                .description("TCP-bridge frames refused on their own (no address, headers the bridge cannot read); "
                        + "the connection goes on").register(registry));
        counters.put(BridgeFrameReader.Refusal.server_busy, Counter.builder(OVER_BUDGET)
                .description("TCP-bridge connections closed because the partial frames of all connections filled "
                        + "their buffer (64 x bridge_max_frame_bytes)").register(registry));
    }

    /** Counts a frame refused, or a connection closed for its bytes. */
    void refused(FrameLimitingSocket socket, BridgeFrameReader.Refusal why) {
        counters.get(why).increment();
        long now = System.nanoTime();
        Long last = lastLogged.get(why);
        if (last == null || now - last > LOG_EVERY_NANOS) {
            lastLogged.put(why, now);
            LOG.warn("TCP bridge client {}: {} ({}); counted in /metrics, logged at most once a minute per reason",
                    socket.remoteAddress(), why == BridgeFrameReader.Refusal.invalid_headers ? "frame refused"
                            : "connection closed", why);
        }
    }
}
