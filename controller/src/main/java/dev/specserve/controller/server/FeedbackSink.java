package dev.specserve.controller.server;

import dev.specserve.runtime.engine.EngineListener;

/**
 * ===== HOOK: round feedback publishing (Kafka) =====
 *
 * <p>A feedback sink sees every engine event (rounds with their draft trees and acceptance, finished requests)
 * and publishes what the adaptation loop needs. {@link SpecserveServer} registers each sink on the engine at
 * start and closes it at shutdown, after the engine has stopped producing events. Sinks are called on the engine
 * thread: hand records to a producer's async {@code send} and return at once; never block or throw.
 *
 * <p>To plug Kafka in: implement this interface in telemetry (e.g. a {@code KafkaFeedbackSink} built from
 * {@code ServerConfig.kafkaBootstrap()}), and return it from {@code ServeCommand.feedbackSinks(ServerConfig)}.
 */
public interface FeedbackSink extends EngineListener, AutoCloseable {
    /** For logs, e.g. {@code kafka(localhost:9092, topic specserve.rounds)}. */
    String describe();

    /** Flushes and releases resources; called once at shutdown. */
    @Override
    default void close() {}
}
