package dev.specserve.controller.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Optional;

/**
 * The Responses API's stored responses ({@code store}, true unless a request says false): what
 * {@code previous_response_id} continues and {@code GET /v1/responses/{id}} answers. Kept in this server's memory,
 * the newest {@value #MAX_RESPONSES} for {@link #TTL} after their last use, as vLLM's in-memory store keeps them; a
 * restart or another replica does not have them.
 */
final class ResponseStore {
    static final int MAX_RESPONSES = 4096;
    static final Duration TTL = Duration.ofHours(1);

    /**
     * A stored response and the conversation it ends, as Responses input items: the input it continued (earlier
     * responses' included), then its own output items.
     */
    record Stored(JsonObject response, JsonArray items) {}

    private final Cache<String, Stored> responses = Caffeine.newBuilder().maximumSize(MAX_RESPONSES)
            .expireAfterAccess(TTL).build();

    /** Stores {@code response}, which answered {@code input}. */
    void put(JsonObject response, JsonArray input) {
        JsonArray items = input.copy();
        response.getJsonArray("output", new JsonArray()).forEach(o -> items.add(((JsonObject) o).copy()));
        responses.put(response.getString("id"), new Stored(response.copy(), items));
    }

    Optional<Stored> get(String id) {
        return Optional.ofNullable(responses.getIfPresent(id));
    }

    /** True when a response of that id was stored (and now is not). */
    boolean remove(String id) {
        return responses.asMap().remove(id) != null;
    }
}
