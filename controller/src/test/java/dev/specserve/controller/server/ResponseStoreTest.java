package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The Responses API's store keeps a response with its conversation, and is bounded by bytes with evictions counted. */
class ResponseStoreTest {
    static JsonObject response(String id, String text) {
        return new JsonObject().put("id", id).put("object", "response").put("output", new JsonArray()
                .add(ResponsesJson.message(text, "completed")));
    }

    @Test
    void a_stored_response_carries_its_input_then_its_output_as_the_conversation() {
        ResponseStore store = new ResponseStore();
        JsonArray input = new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"));

        store.put(response("resp_1", "hello"), input);
        input.add(new JsonObject().put("role", "user").put("content", "changed after"));

        ResponseStore.Stored stored = store.get("resp_1").orElseThrow();
        assertThat(stored.items()).hasSize(2);
        assertThat(stored.items().getJsonObject(0).getString("content")).isEqualTo("hi");
        assertThat(stored.items().getJsonObject(1).getString("type")).isEqualTo("message");
        assertThat(store.remove("resp_1")).isTrue();
        assertThat(store.get("resp_1")).isEmpty();
        assertThat(store.remove("resp_1")).isFalse();
    }

    @Test
    void past_its_byte_bound_responses_are_evicted_and_counted_and_the_newest_stay() {
        ResponseStore store = new ResponseStore();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        store.bindMetrics(registry);
        String text = "x".repeat(4 << 10); // held twice (response, conversation), weighed 2 per char: 64 MiB holds ~4,000

        for (int i = 0; i < 12_000; i++) {
            store.put(response("resp_" + i, text), new JsonArray());
        }
        store.cleanUp();

        for (int i = 11_990; i < 12_000; i++) {
            assertThat(store.get("resp_" + i)).as("resp_%d, just answered", i).isPresent();
        }
        double stored = registry.get("specserve.responses.stored").gauge().value();
        assertThat(stored).isBetween(3_500.0, 4_200.0);
        assertThat(registry.get("specserve.responses.evicted").functionCounter().count())
                .isEqualTo(12_000 - stored);
    }
}
