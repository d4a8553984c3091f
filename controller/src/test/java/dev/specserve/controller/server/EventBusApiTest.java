package dev.specserve.controller.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The event-bus API, used through the server's real event bus. */
@ExtendWith(VertxExtension.class)
class EventBusApiTest {
    static TestServer server;
    static EventBus bus;
    static final DeliveryOptions PATIENT = new DeliveryOptions().setSendTimeout(60_000);

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("stream_consumer_timeout_ms", "300"));
        bus = server.server.vertx().eventBus();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void everyStreamIsClosedAndTheEngineIdle() {
        server.awaitIdle();
        TestServer.awaitCondition(() -> server.server.openStreams() == 0, Duration.ofSeconds(10), "streams closed");
    }

    static JsonObject greedy(String prompt, int maxTokens) {
        return new JsonObject().put("prompt", prompt).put("max_tokens", maxTokens).put("temperature", 0);
    }

    static JsonObject generate(JsonObject request) throws Exception {
        Message<Object> reply = bus.request(EventBusApiVerticle.GENERATE, request, PATIENT).await(60, SECONDS);
        return (JsonObject) reply.body();
    }

    static JsonObject openStream(JsonObject request) throws Exception {
        return (JsonObject) bus.request(EventBusApiVerticle.GENERATE_STREAM, request, PATIENT).await(60, SECONDS).body();
    }

    @Test
    void generate_replies_with_text_tokens_finish_reason_usage_and_stats() throws Exception {
        JsonObject reply = generate(greedy("def add(a, b):", 12));

        assertThat(reply.getString("text")).isNotNull();
        assertThat(reply.getJsonArray("tokens").size()).isBetween(1, 12);
        assertThat(reply.getString("finish_reason")).isIn("stop", "length");
        JsonObject usage = reply.getJsonObject("usage");
        assertThat(usage.getInteger("prompt_tokens")).isPositive();
        assertThat(usage.getInteger("completion_tokens")).isEqualTo(reply.getJsonArray("tokens").size());
        JsonObject stats = reply.getJsonObject("stats");
        assertThat(stats.getInteger("rounds")).isPositive();
        assertThat(stats.getDouble("accepted_mean")).isGreaterThanOrEqualTo(1.0);
        assertThat(stats.getLong("drafter_version")).isNotNull();
    }

    @Test
    void prompt_logprobs_come_back_in_the_reply_as_over_http() throws Exception {
        JsonObject reply = generate(greedy("def add(a, b):", 4).put("prompt_logprobs", 1));

        io.vertx.core.json.JsonArray prompt = reply.getJsonArray("prompt_logprobs");
        assertThat(prompt).hasSize(reply.getJsonObject("usage").getInteger("prompt_tokens"));
        assertThat(prompt.getValue(0)).isNull();
        assertThat(prompt.getJsonObject(1).size()).isBetween(1, 2);
    }

    @Test
    void a_bad_request_fails_with_code_400_and_a_json_error_naming_the_field_and_the_api_keeps_serving() throws Exception {
        assertThatThrownBy(() -> generate(new JsonObject().put("prompt", "x").put("temperature", "warm")))
                .isInstanceOfSatisfying(ReplyException.class, e -> {
                    assertThat(e.failureCode()).isEqualTo(400);
                    JsonObject error = new JsonObject(e.getMessage());
                    assertThat(error.getString("param")).isEqualTo("temperature");
                    assertThat(error.getString("type")).isEqualTo("invalid_request_error");
                });
        assertThatThrownBy(() -> bus.request(EventBusApiVerticle.GENERATE, "not json", PATIENT).await(10, SECONDS))
                .isInstanceOfSatisfying(ReplyException.class, e -> {
                    assertThat(e.failureCode()).isEqualTo(400);
                    assertThat(new JsonObject(e.getMessage()).getString("param")).isEqualTo("body");
                });

        assertThat(generate(greedy("x = 1", 4)).getString("finish_reason")).isIn("stop", "length");
    }

    @Test
    void stream_true_on_the_request_reply_address_is_refused_naming_the_streaming_address() {
        assertThatThrownBy(() -> generate(greedy("x = 1", 4).put("stream", true)))
                .isInstanceOfSatisfying(ReplyException.class, e -> {
                    assertThat(e.failureCode()).isEqualTo(400);
                    JsonObject error = new JsonObject(e.getMessage());
                    assertThat(error.getString("param")).isEqualTo("stream");
                    assertThat(error.getString("message")).contains(EventBusApiVerticle.GENERATE_STREAM);
                });
    }

    @Test
    void the_streaming_address_takes_stream_options_without_stream_true_since_it_streams_anyway() throws Exception {
        JsonObject opened = openStream(greedy("x = 1", 2).put("stream_options", new JsonObject()
                .put("include_usage", true)));

        assertThat(opened.getString("address")).startsWith(EventBusApiVerticle.STREAM_PREFIX);
        server.awaitIdle(); // nobody consumes it: cancelled after the consumer timeout
    }

    @Test
    void several_choices_a_batch_and_echo_are_refused_naming_them_since_a_reply_carries_one_sequences_output() {
        for (String field : new String[] {"n", "echo", "prompt"}) {
            JsonObject request = greedy("x = 1", 4).put(field, switch (field) {
                case "n" -> 2;
                case "echo" -> true;
                default -> new io.vertx.core.json.JsonArray().add("x = 1").add("y = 2");
            });
            assertThatThrownBy(() -> generate(request)).isInstanceOfSatisfying(ReplyException.class, e -> {
                assertThat(e.failureCode()).isEqualTo(400);
                assertThat(new JsonObject(e.getMessage()).getString("param")).isEqualTo(field);
            });
        }
    }

    @Test
    @io.vertx.junit5.Timeout(value = 60, timeUnit = SECONDS)
    void streamed_token_messages_carry_the_logprobs_asked_for(VertxTestContext test) throws Exception {
        JsonObject opened = openStream(greedy("def add(a, b):", 8).put("logprobs", 2));
        onStreamDone(opened.getString("address"), test, (tokens, done) ->
                assertThat(tokens).isNotEmpty().allSatisfy(t -> {
                    JsonObject lp = t.getJsonObject("logprobs");
                    assertThat(lp.getJsonArray("tokens").size()).isEqualTo(t.getJsonArray("tokens").size());
                    assertThat(lp.getJsonArray("top_logprobs").getJsonObject(0).size()).isBetween(1, 3);
                }));
    }

    /** Consumes a stream to its done message, then checks its token messages and the done message. */
    void onStreamDone(String address, VertxTestContext test,
                      java.util.function.BiConsumer<List<JsonObject>, JsonObject> check) {
        List<JsonObject> received = new CopyOnWriteArrayList<>();
        MessageConsumer<JsonObject> consumer = bus.consumer(address);
        consumer.handler(m -> {
            received.add(m.body());
            if ("done".equals(m.body().getString("type"))) {
                consumer.unregister();
                test.verify(() -> check.accept(received.subList(0, received.size() - 1), m.body()));
                test.completeNow();
            }
        });
    }

    @Test
    @io.vertx.junit5.Timeout(value = 60, timeUnit = SECONDS)
    void a_stream_delivers_token_chunks_then_done_and_the_chunks_add_up_to_the_reply_text(VertxTestContext test)
            throws Exception {
        JsonObject request = greedy("class Node:\n    def", 16);
        String expected = generate(request).getString("text");

        JsonObject opened = openStream(request);

        assertThat(opened.getString("address")).startsWith(EventBusApiVerticle.STREAM_PREFIX);
        assertThat(opened.getString("control")).isEqualTo(opened.getString("address") + ".control");
        onStreamDone(opened.getString("address"), test, (tokens, done) -> {
            assertThat(tokens).allSatisfy(t -> assertThat(t.getString("type")).isEqualTo("token"));
            StringBuilder text = new StringBuilder();
            int count = 0;
            for (JsonObject t : tokens) {
                text.append(t.getString("text"));
                count += t.getJsonArray("tokens").size();
            }
            assertThat(text.toString()).isEqualTo(expected);
            assertThat(done.getString("finish_reason")).isIn("stop", "length");
            assertThat(done.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(count);
            assertThat(done.getJsonObject("stats").getInteger("rounds")).isPositive();
        });
    }

    @Test
    @io.vertx.junit5.Timeout(value = 60, timeUnit = SECONDS)
    void a_cancel_on_the_control_address_stops_the_generation(VertxTestContext test) throws Exception {
        int maxTokens = server.engine.contextLength() - 16;
        JsonObject opened = openStream(greedy("def main():", maxTokens).put("strategy", "none").put("domain", TestServer.SLOW));
        Promise<Void> cancelSent = Promise.promise();
        MessageConsumer<JsonObject> consumer = bus.consumer(opened.getString("address"));
        consumer.handler(m -> {
            JsonObject body = m.body();
            if ("token".equals(body.getString("type")) && !cancelSent.future().isComplete()) {
                cancelSent.complete();
                bus.request(opened.getString("control"), new JsonObject().put("type", "cancel"))
                        .onComplete(test.succeeding(ack -> test.verify(() ->
                                assertThat(((JsonObject) ack.body()).getString("type")).isEqualTo("cancelling"))));
            } else if ("done".equals(body.getString("type"))) {
                consumer.unregister();
                test.verify(() -> {
                    assertThat(body.getString("finish_reason")).isEqualTo("cancelled");
                    assertThat(body.getJsonObject("usage").getInteger("completion_tokens")).isLessThan(maxTokens);
                });
                test.completeNow();
            }
        });
    }

    @Test
    void a_stream_nobody_consumes_is_cancelled_after_the_consumer_timeout() throws Exception {
        JsonObject opened = openStream(greedy("def main():", server.engine.contextLength() - 16).put("strategy", "none").put("domain", TestServer.SLOW));
        String id = opened.getString("id");

        TestServer.awaitCondition(() -> server.finished.containsKey(id), Duration.ofSeconds(30), "the request to end");

        assertThat(server.finished.get(id)).isEqualTo("cancelled");
    }

    @Test
    @io.vertx.junit5.Timeout(value = 60, timeUnit = SECONDS)
    void a_consumer_that_unregisters_mid_stream_cancels_the_generation(VertxTestContext test) throws Exception {
        JsonObject opened = openStream(greedy("def main():", server.engine.contextLength() - 16).put("strategy", "none").put("domain", TestServer.SLOW));
        String id = opened.getString("id");
        MessageConsumer<JsonObject> consumer = bus.consumer(opened.getString("address"));
        consumer.handler(m -> consumer.unregister()); // gone after the first chunk

        server.server.vertx().executeBlocking(() -> {
            TestServer.awaitCondition(() -> server.finished.containsKey(id), Duration.ofSeconds(50), "the request to end");
            return server.finished.get(id);
        }).onComplete(test.succeeding(reason -> test.verify(() -> {
            assertThat(reason).isEqualTo("cancelled");
            test.completeNow();
        })));
    }
}
