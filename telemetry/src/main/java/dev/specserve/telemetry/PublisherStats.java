package dev.specserve.telemetry;

/**
 * A snapshot of a {@link FeedbackPublisher}'s counters. Once the publisher is idle,
 * {@code eventsPublished == eventsSent + eventsDropped + eventSendErrors + bufferedEvents + inFlightEvents},
 * and likewise
 * {@code samplesOffered == samplesSkipped + samplesSent + samplesDropped + sampleSendErrors + bufferedSamples + inFlightSamples}.
 *
 * @param eventsPublished    events passed to {@code publish}
 * @param eventsSent         events acknowledged by Kafka
 * @param eventsDropped      events dropped: buffer full (oldest first) or publisher closed
 * @param eventSendErrors    events Kafka failed to deliver (delivery timeout, rejected record)
 * @param feedbackBytesSent  JSON bytes acknowledged
 * @param bufferedEvents     events waiting in the buffer
 * @param inFlightEvents     events handed to Kafka, not yet acknowledged
 * @param samplesOffered     samples passed to {@code publishSample}
 * @param samplesSkipped     samples not selected by the sampling fraction
 * @param samplesSent        samples acknowledged
 * @param samplesDropped     samples dropped (rate cap, too large, buffer full, closed)
 * @param samplesRateLimited of which dropped by the bytes-per-second cap
 * @param sampleSendErrors   samples Kafka failed to deliver
 * @param sampleBytesSent    encoded sample bytes acknowledged
 * @param bufferedSamples    samples waiting in the buffer
 * @param bufferedSampleBytes encoded bytes of the buffered samples
 * @param inFlightSamples    samples handed to Kafka, not yet acknowledged
 */
public record PublisherStats(
        long eventsPublished,
        long eventsSent,
        long eventsDropped,
        long eventSendErrors,
        long feedbackBytesSent,
        int bufferedEvents,
        int inFlightEvents,
        long samplesOffered,
        long samplesSkipped,
        long samplesSent,
        long samplesDropped,
        long samplesRateLimited,
        long sampleSendErrors,
        long sampleBytesSent,
        int bufferedSamples,
        long bufferedSampleBytes,
        int inFlightSamples) {
}
