package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RequiredCallsStream}: the calls of a required tool choice, streamed as they are written. */
class RequiredCallsStreamTest {
    static final String OUTPUT = "[{\"name\": \"get_weather\", \"parameters\": {\"city\": \"O}s\\\"lo]\", \"days\": "
            + "[1, {\"a\": 2}]}}, {\"name\": \"now\", \"parameters\": {}}, {\"name\": \"count\", \"parameters\": 7}]";

    @Test
    void in_chunks_of_any_size_each_call_comes_once_with_its_name_then_its_whole_arguments() {
        for (int size = 1; size <= OUTPUT.length(); size++) {
            RequiredCallsStream stream = new RequiredCallsStream();
            List<String> names = new ArrayList<>();
            List<StringBuilder> arguments = new ArrayList<>();
            for (int at = 0; at < OUTPUT.length(); at += size) {
                JsonArray deltas = stream.append(OUTPUT.substring(at, Math.min(OUTPUT.length(), at + size)));
                for (int i = 0; i < deltas.size(); i++) {
                    JsonObject d = deltas.getJsonObject(i);
                    int index = d.getInteger("index");
                    if (d.getString("id") != null) {
                        assertThat(index).as("calls are numbered in order").isEqualTo(names.size());
                        assertThat(d.getString("type")).isEqualTo("function");
                        names.add(d.getJsonObject("function").getString("name"));
                        arguments.add(new StringBuilder());
                    } else {
                        assertThat(d.getJsonObject("function").getString("name")).as("named once").isNull();
                    }
                    arguments.get(index).append(d.getJsonObject("function").getString("arguments"));
                }
                assertThat(deltas.stream().map(d -> ((JsonObject) d).getInteger("index")).distinct().count())
                        .as("one entry per call and chunk").isEqualTo(deltas.size());
            }
            assertThat(names).as("chunks of %d", size).containsExactly("get_weather", "now", "count");
            assertThat(arguments).map(StringBuilder::toString).containsExactly(
                    "{\"city\": \"O}s\\\"lo]\", \"days\": [1, {\"a\": 2}]}", "{}", "7");
            assertThat(stream.started()).isTrue();
        }
    }

    @Test
    void a_head_still_being_written_waits() {
        RequiredCallsStream stream = new RequiredCallsStream();

        assertThat(stream.append("[{\"name\": \"now\", \"param")).isEmpty();
        assertThat(stream.started()).isFalse();
        assertThat(stream.append("eters\": ")).hasSize(1);
        assertThat(stream.started()).isTrue();
    }
}
