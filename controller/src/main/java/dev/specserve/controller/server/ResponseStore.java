package dev.specserve.controller.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Optional;

/**
 * The Responses API's stored responses ({@code store}, true unless a request says false): what
 * {@code previous_response_id} continues and {@code GET /v1/responses/{id}} answers. Kept in this server's memory,
 * as vLLM's in-memory store keeps them, bounded by their JSON's size ({@value #MAX_BYTES} bytes in all; Caffeine's
 * eviction keeps the newest and the often continued, and lets the rarely used go first) and for {@link #TTL} after
 * their last use; a restart or another replica does not have
 * them. A continued conversation's entry holds the whole conversation, so long ones take more of the bound.
 */
final class ResponseStore {
    static final long MAX_BYTES = 64L << 20;
    static final Duration TTL = Duration.ofHours(1);

    /**
     * A stored response and the conversation it ends, as Responses input items: the input it continued (earlier
     * responses' included), then its own output items.
     */
    record Stored(JsonObject response, JsonArray items, int bytes) {}

    private final Cache<String, Stored> responses = Caffeine.newBuilder().maximumWeight(MAX_BYTES)
            .<String, Stored>weigher((id, s) -> s.bytes()).expireAfterAccess(TTL).recordStats().build();

    /** Its size and evictions as metrics: nothing leaves the store uncounted. */
    void bindMetrics(MeterRegistry registry) {
        Gauge.builder("specserve.responses.stored", responses, Cache::estimatedSize).strongReference(true)
                .description("Responses API responses held for previous_response_id").register(registry);
        FunctionCounter.builder("specserve.responses.evicted", responses, c -> c.stats().evictionCount())
                .description("Stored responses evicted for space or age").register(registry);
    }

    /** Stores {@code response}, which answered {@code input}. */
    void put(JsonObject response, JsonArray input) {
        JsonArray items = input.copy();
        response.getJsonArray("output", new JsonArray()).forEach(o -> items.add(((JsonObject) o).copy()));
        int bytes = (int) Math.min(Integer.MAX_VALUE, 2L * (response.encode().length() + items.encode().length()));
        responses.put(response.getString("id"), new Stored(response.copy(), items, bytes));
    }

    Optional<Stored> get(String id) {
        return Optional.ofNullable(responses.getIfPresent(id));
    }

    /** Runs pending evictions now (Caffeine otherwise does it as entries come and go). */
    void cleanUp() {
        responses.cleanUp();
    }

    /** True when a response of that id was stored (and now is not). */
    boolean remove(String id) {
        return responses.asMap().remove(id) != null;
    }
}
