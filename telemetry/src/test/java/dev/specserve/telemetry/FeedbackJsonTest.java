package dev.specserve.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FeedbackJsonTest {

    @Test
    void roundEventIsVersionedSnakeCaseJsonThatDecodesToAnEqualEvent() throws Exception {
        RoundEvent event = Fixtures.round("spec-block-a", "req-1", 3, 2);

        String json = FeedbackJson.toJson(event);

        assertThat(json).startsWith("{\"schema_version\":2,\"type\":\"round\",");
        JsonNode tree = FeedbackJson.mapper().readTree(json);
        assertThat(tree.get("request_id").asText()).isEqualTo("req-1");
        assertThat(tree.get("drafter_version").asLong()).isEqualTo(7);
        assertThat(tree.get("accepted_per_depth").toString()).isEqualTo("[true,true,false,false,false]");
        assertThat(tree.get("domain").asText()).isEqualTo("python");
        assertThat(FeedbackJson.decode(json)).isEqualTo(event);
    }

    @Test
    void roundEventsCarryDraftedAndAcceptedCountsPerSource() throws Exception {
        RoundEvent event = RoundEvent.builder().replicaId("r").requestId("q").strategy("auto").drafterId("d")
                .treeSize(6).treeDepth(4).acceptedLength(3)
                .sources(Map.of("model", new RoundEvent.SourceTally(4, 1), "suffix", new RoundEvent.SourceTally(3, 3)))
                .build();

        String json = FeedbackJson.toJson(event);

        assertThat(FeedbackJson.mapper().readTree(json).get("sources").toString())
                .contains("\"suffix\":{\"drafted\":3,\"accepted\":3}");
        assertThat(FeedbackJson.decode(json)).isEqualTo(event);
    }

    @Test
    void aReaderDropsSourcesItDoesNotKnowAsItIgnoresUnknownFields() throws Exception {
        RoundEvent event = RoundEvent.builder().replicaId("r").requestId("q").strategy("auto").drafterId("d")
                .treeSize(6).treeDepth(4).acceptedLength(3)
                .sources(Map.of("corpus", new RoundEvent.SourceTally(4, 3), "grammar", new RoundEvent.SourceTally(2, 2)))
                .build();
        String json = FeedbackJson.toJson(event);
        String newer = json.replace("\"sources\":{", "\"sources\":{\"oracle\":{\"drafted\":1,\"accepted\":1},");

        assertThat(newer).contains("oracle");
        assertThat(FeedbackJson.decode(newer)).isEqualTo(event);
    }

    @Test
    void aVersionOneRoundEventStillDecodesWithNoSources() throws Exception {
        RoundEvent withoutSources = RoundEvent.builder().replicaId("r").requestId("q").strategy("tree").drafterId("d")
                .treeSize(3).treeDepth(2).acceptedLength(1).build();
        String v1 = FeedbackJson.toJson(withoutSources).replace("\"schema_version\":2", "\"schema_version\":1");

        RoundEvent decoded = (RoundEvent) FeedbackJson.decode(v1);

        assertThat(decoded.sources()).isEmpty();
        assertThat(decoded.acceptedLength()).isEqualTo(1);
    }

    @Test
    void sourceCountsMustBeConsistentWithTheRound() {
        assertThatThrownBy(() -> RoundEvent.builder().replicaId("r").requestId("q").strategy("auto").drafterId("d")
                .treeSize(4).treeDepth(2).acceptedLength(1).sources(Map.of("suffix", new RoundEvent.SourceTally(2, 3)))
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sources.accepted");
        assertThatThrownBy(() -> RoundEvent.builder().replicaId("r").requestId("q").strategy("auto").drafterId("d")
                .treeSize(4).treeDepth(2).acceptedLength(1).sources(Map.of("suffix", new RoundEvent.SourceTally(2, 2)))
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("accepted_length");
        assertThatThrownBy(() -> RoundEvent.builder().replicaId("r").requestId("q").strategy("auto").drafterId("d")
                .treeSize(4).treeDepth(2).acceptedLength(1).sources(Map.of("oracle", new RoundEvent.SourceTally(1, 0)))
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown source");
    }

    @Test
    void requestSummaryAndDecisionEventsRoundTrip() throws Exception {
        RequestSummaryEvent summary = Fixtures.summary("spec-block-a", "req-1");
        DecisionEvent decision = Fixtures.decision("spec-block-a", "dec-1")
                .withRealised(Map.of("gain", 0.05, "accepted", true, "per_domain", Map.of("java", 3)));

        assertThat(FeedbackJson.decode(FeedbackJson.toBytes(summary))).isEqualTo(summary);
        assertThat(FeedbackJson.decode(FeedbackJson.toBytes(decision))).isEqualTo(decision);
        assertThat(FeedbackJson.toJson(summary)).contains("\"type\":\"request\"").doesNotContain("domain");
        assertThat(FeedbackJson.toJson(decision)).contains("\"type\":\"decision\"");
    }

    @Test
    void decisionMapsAcceptOnlyJsonValuesAndNormaliseNumbers() {
        DecisionEvent e = new DecisionEvent("r", "d", null, "p", "a", Map.of("i", 3, "f", 0.5f), null, null);

        assertThat(e.inputs()).containsEntry("i", 3L).containsEntry("f", 0.5d);
        assertThat(e.predicted()).isEmpty();
        assertThat(e.partitionKey()).isEqualTo("r");
        assertThatThrownBy(() -> new DecisionEvent("r", "d", null, "p", "a", Map.of("x", new Object()), null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DecisionEvent("r", "d", null, "p", "a", Map.of("x", Double.NaN), null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void roundEventRejectsInconsistentAcceptance() {
        assertThatThrownBy(() -> RoundEvent.builder().replicaId("r").requestId("q").strategy("chain").drafterId("d")
                .treeSize(4).treeDepth(4).acceptedLength(2).acceptedPerDepth(true, false, true, false).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefix");
        assertThatThrownBy(() -> RoundEvent.builder().replicaId("r").requestId("q").strategy("chain").drafterId("d")
                .treeSize(4).treeDepth(4).acceptedLength(5).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("accepted_length");
        assertThatThrownBy(() -> RoundEvent.builder().replicaId("r").requestId("q").strategy("chain").drafterId("d")
                .treeSize(2).treeDepth(3).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tree_size");
    }

    @Test
    void decoderClassifiesMalformedValuesByKind() {
        assertKind("not json at all", MalformedRecordException.Kind.NOT_JSON);
        assertKind("[1,2,3]", MalformedRecordException.Kind.NOT_JSON);
        assertKind("{\"schema_version\":1,\"type\":\"round\"} trailing", MalformedRecordException.Kind.NOT_JSON);
        assertKind("", MalformedRecordException.Kind.EMPTY);
        String v1 = FeedbackJson.toJson(Fixtures.round("d", "q", 0, 1));
        assertKind(v1.replace("\"schema_version\":2", "\"schema_version\":3"), MalformedRecordException.Kind.UNSUPPORTED_VERSION);
        assertKind(v1.replace("\"schema_version\":2", "\"schema_version\":0"), MalformedRecordException.Kind.UNSUPPORTED_VERSION);
        assertKind(v1.replace("\"schema_version\":2,", ""), MalformedRecordException.Kind.UNSUPPORTED_VERSION);
        assertKind(v1.replace("\"type\":\"round\"", "\"type\":\"telepathy\""), MalformedRecordException.Kind.UNKNOWN_TYPE);
        assertKind(v1.replace("\"request_id\":\"q\",", ""), MalformedRecordException.Kind.INVALID_EVENT);
        assertKind(v1.replace("\"round\":0", "\"round\":\"zero\""), MalformedRecordException.Kind.INVALID_EVENT);
        assertKind(v1.replace("\"accepted_length\":1", "\"accepted_length\":3"), MalformedRecordException.Kind.INVALID_EVENT);
    }

    @Test
    void decoderIgnoresUnknownFieldsForForwardCompatibility() throws Exception {
        RoundEvent event = Fixtures.round("d", "q", 0, 1);
        ObjectNode tree = FeedbackJson.toTree(event);
        tree.put("kv_cache_hit_rate", 0.9);

        assertThat(FeedbackJson.decode(tree.toString())).isEqualTo(event);
    }

    @Test
    void encodedEventsConformToTheDocumentedJsonSchema() throws IOException {
        JsonNode schema = FeedbackJson.mapper().readTree(Files.readString(docs().resolve("feedback-schema.json")));
        List<FeedbackEvent> events = List.of(Fixtures.round("d", "q", 0, 2), Fixtures.summary("d", "q"),
                Fixtures.decision("d", "x"), Fixtures.decision(null, "y").withRealised(Map.of("gain", 1)));
        for (FeedbackEvent event : events) {
            JsonNode json = FeedbackJson.toTree(event);
            List<String> problems = SchemaCheck.check(schema, schema.get("$defs").get(event.type()), json, "$");
            assertThat(problems).as("%s against the JSON Schema", json).isEmpty();
        }
    }

    @Test
    void schemaDocumentationMentionsEveryField() throws IOException {
        String doc = Files.readString(docs().resolve("feedback-schema.md"), StandardCharsets.UTF_8);
        JsonNode schema = FeedbackJson.mapper().readTree(Files.readString(docs().resolve("feedback-schema.json")));
        for (String type : List.of("round", "request", "decision")) {
            Iterator<String> fields = schema.get("$defs").get(type).get("properties").fieldNames();
            while (fields.hasNext()) {
                String field = fields.next();
                assertThat(doc).as("docs/feedback-schema.md documents %s.%s", type, field).contains("`" + field + "`");
            }
        }
        assertThat(doc).contains("kafka-console-consumer.sh --bootstrap-server localhost:29092 --topic specserve.feedback "
                + "--from-beginning --property print.key=true");
    }

    static Path docs() {
        String home = System.getProperty("specserve.home");
        Path base = home == null || home.isBlank() ? Path.of("..") : Path.of(home);
        Path docs = base.resolve("docs");
        return Files.isDirectory(docs) ? docs : Path.of("..", "docs");
    }

    private static void assertKind(String value, MalformedRecordException.Kind kind) {
        assertThatThrownBy(() -> FeedbackJson.decode(value))
                .as("decoding %s", value)
                .isInstanceOfSatisfying(MalformedRecordException.class, e -> assertThat(e.kind()).isEqualTo(kind));
    }

    /** The subset of JSON Schema the documented schema uses: type, const, required, properties, items, $ref, minimum. */
    static final class SchemaCheck {
        static List<String> check(JsonNode root, JsonNode schema, JsonNode value, String path) {
            List<String> problems = new ArrayList<>();
            walk(root, schema, value, path, problems);
            return problems;
        }

        private static void walk(JsonNode root, JsonNode schema, JsonNode value, String path, List<String> problems) {
            if (schema.has("$ref")) {
                String ref = schema.get("$ref").asText();
                JsonNode target = root.at(ref.substring(1));
                if (target.isMissingNode()) {
                    problems.add(path + ": unresolved " + ref);
                    return;
                }
                walk(root, target, value, path, problems);
            }
            JsonNode constant = schema.get("const");
            if (constant != null && !(constant.isNumber() && value.isNumber()
                    ? constant.decimalValue().compareTo(value.decimalValue()) == 0 : constant.equals(value))) {
                problems.add(path + ": expected " + schema.get("const") + ", got " + value);
            }
            if (schema.has("type")) {
                String type = schema.get("type").asText();
                boolean ok = switch (type) {
                    case "object" -> value.isObject();
                    case "array" -> value.isArray();
                    case "string" -> value.isTextual();
                    case "integer" -> value.isIntegralNumber();
                    case "number" -> value.isNumber();
                    case "boolean" -> value.isBoolean();
                    default -> false;
                };
                if (!ok) {
                    problems.add(path + ": expected " + type + ", got " + value);
                    return;
                }
            }
            if (schema.has("minimum") && value.isNumber() && value.asDouble() < schema.get("minimum").asDouble()) {
                problems.add(path + ": below minimum");
            }
            if (schema.has("minLength") && value.isTextual() && value.asText().length() < schema.get("minLength").asInt()) {
                problems.add(path + ": too short");
            }
            if (value.isObject() && schema.has("required")) {
                for (JsonNode r : schema.get("required")) {
                    if (!value.has(r.asText())) {
                        problems.add(path + ": missing required " + r.asText());
                    }
                }
            }
            if (value.isObject() && schema.has("properties")) {
                JsonNode props = schema.get("properties");
                value.fieldNames().forEachRemaining(f -> {
                    if (!props.has(f)) {
                        problems.add(path + ": field " + f + " is not documented in the schema");
                    } else {
                        walk(root, props.get(f), value.get(f), path + "." + f, problems);
                    }
                });
            }
            if (value.isArray() && schema.has("items")) {
                for (int i = 0; i < value.size(); i++) {
                    walk(root, schema.get("items"), value.get(i), path + "[" + i + "]", problems);
                }
            }
        }
    }
}
