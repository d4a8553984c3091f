package dev.specserve.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What released versions wrote is still read: frozen records (src/test/resources/compat, see its README) of every
 * format a running fleet may still hold on its topics, and records of a later release that adds fields, which this
 * one must ignore rather than drop. A change to a decoder that breaks any of them fails here, before a rolling
 * upgrade finds it.
 */
class CompatibilityFixturesTest {
    private static List<String> lines(String name) throws IOException {
        try (InputStream in = CompatibilityFixturesTest.class.getResourceAsStream("/compat/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        }
    }

    @Test
    void feedback_of_every_released_schema_version_decodes() throws Exception {
        for (String file : List.of("feedback-v1.jsonl", "feedback-v2.jsonl")) {
            List<FeedbackEvent> events = lines(file).stream().map(CompatibilityFixturesTest::decode).toList();

            assertThat(events).as(file).hasExactlyElementsOfTypes(RoundEvent.class, RequestSummaryEvent.class,
                    DecisionEvent.class);
            RoundEvent round = (RoundEvent) events.get(0);
            assertThat(round.requestId()).isEqualTo("req-7f3a9c");
            assertThat(round.acceptedLength()).isEqualTo(4);
            assertThat(round.drafterVersion()).isEqualTo(42);
        }
    }

    @Test
    void feedback_from_a_later_release_that_only_adds_fields_and_sources_is_read_not_dropped() throws Exception {
        List<FeedbackEvent> events = lines("feedback-v2-from-a-later-release.jsonl").stream()
                .map(CompatibilityFixturesTest::decode).toList();

        assertThat(events).hasSize(3);
        RoundEvent round = (RoundEvent) events.get(0);
        assertThat(round.sources()).containsKeys("model", "suffix");
        assertThat(round.acceptedLength()).isEqualTo(4);
    }

    @Test
    void training_samples_of_format_one_decode_in_every_dtype() throws Exception {
        for (String line : lines("samples-ssmp.b64")) {
            String[] parts = line.split(" ");
            TrainingSample s = SampleCodec.decode(Base64.getDecoder().decode(parts[1]));

            assertThat(SampleCodec.dtypeOf(Base64.getDecoder().decode(parts[1])).name()).isEqualTo(parts[0]);
            assertThat(s.requestId()).isEqualTo("req-7f3a9c");
            assertThat(s.drafterVersion()).isEqualTo(42);
            assertThat(s.hidden()).containsExactly(0.5f, -1.25f, 2f, 0f, 1f, 0.75f, -0.5f, 3f);
            assertThat(s.targetTokens()).containsExactly(17, 99);
            assertThat(s.validPrefix()).containsExactly(true, false);
        }
    }

    @Test
    void drafter_updates_of_format_two_decode_with_their_kind_and_origin() throws Exception {
        List<DrafterUpdate> updates = lines("updates-ssup2.b64").stream()
                .map(l -> decodeUpdate(Base64.getDecoder().decode(l.split(" ")[1]))).toList();

        assertThat(updates).extracting(DrafterUpdate::kind).containsExactly(DrafterUpdate.Kind.UPDATE,
                DrafterUpdate.Kind.ROLLBACK);
        assertThat(updates.get(0).version()).isEqualTo(7);
        assertThat(updates.get(0).origin()).isEqualTo("trainer#1");
        assertThat(updates.get(0).b()).containsExactly(3f, 4f);
        assertThat(updates.get(0).metricsJson()).contains("model_sha256");
    }

    @Test
    void a_drafter_update_with_bytes_a_later_release_appended_still_decodes() throws Exception {
        byte[] released = Base64.getDecoder().decode(lines("updates-ssup2.b64").get(0).split(" ")[1]);
        byte[] extended = java.util.Arrays.copyOf(released, released.length + 12); // a later field, unknown here

        assertThat(decodeUpdate(extended).version()).isEqualTo(7);
    }

    private static FeedbackEvent decode(String json) {
        try {
            return FeedbackJson.decode(json);
        } catch (MalformedRecordException e) {
            throw new AssertionError("a released record no longer decodes: " + json, e);
        }
    }

    private static DrafterUpdate decodeUpdate(byte[] bytes) {
        try {
            return DrafterUpdate.decode(bytes);
        } catch (MalformedRecordException e) {
            throw new AssertionError("a released update no longer decodes", e);
        }
    }
}
