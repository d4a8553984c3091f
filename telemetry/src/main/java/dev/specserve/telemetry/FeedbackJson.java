package dev.specserve.telemetry;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * JSON codec of {@link FeedbackEvent}s (Jackson). Thread-safe.
 *
 * <p>Encoded events are JSON objects whose first two fields are {@code schema_version} and
 * {@code type}, followed by the event's fields in snake_case; null optional fields are omitted. The
 * decoder reads versions {@link FeedbackEvent#OLDEST_READABLE_VERSION} to {@link FeedbackEvent#SCHEMA_VERSION},
 * ignores unknown fields, and reports every failure as a {@link MalformedRecordException} with a kind.
 */
public final class FeedbackJson {

    public static final String SCHEMA_VERSION_FIELD = "schema_version";
    public static final String TYPE_FIELD = "type";

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    private FeedbackJson() {
    }

    /** The shared, configured mapper (do not reconfigure it). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Encodes an event as UTF-8 JSON. */
    public static byte[] toBytes(FeedbackEvent event) {
        try {
            return MAPPER.writeValueAsBytes(toTree(event));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot encode " + event.type() + " event", e);
        }
    }

    /** Encodes an event as a JSON string. */
    public static String toJson(FeedbackEvent event) {
        return new String(toBytes(event), StandardCharsets.UTF_8);
    }

    /** The event as a JSON tree, {@code schema_version} and {@code type} first. */
    public static ObjectNode toTree(FeedbackEvent event) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put(SCHEMA_VERSION_FIELD, FeedbackEvent.SCHEMA_VERSION);
        root.put(TYPE_FIELD, event.type());
        root.setAll((ObjectNode) MAPPER.valueToTree(event));
        return root;
    }

    /** Decodes a JSON string. */
    public static FeedbackEvent decode(String json) throws MalformedRecordException {
        return decode(json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Decodes an event.
     *
     * @throws MalformedRecordException with kind EMPTY, NOT_JSON, UNSUPPORTED_VERSION, UNKNOWN_TYPE
     *                                  or INVALID_EVENT
     */
    public static FeedbackEvent decode(byte[] value) throws MalformedRecordException {
        if (value == null || value.length == 0) {
            throw new MalformedRecordException(MalformedRecordException.Kind.EMPTY, "empty record value");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(value);
        } catch (IOException e) {
            throw new MalformedRecordException(MalformedRecordException.Kind.NOT_JSON,
                    "value is not JSON: " + (e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedRecordException(MalformedRecordException.Kind.NOT_JSON,
                    "value is not a JSON object");
        }
        JsonNode version = root.get(SCHEMA_VERSION_FIELD);
        if (version == null || !version.isIntegralNumber()) {
            throw new MalformedRecordException(MalformedRecordException.Kind.UNSUPPORTED_VERSION,
                    "missing or non-integer schema_version");
        }
        if (!version.canConvertToInt() || version.intValue() < FeedbackEvent.OLDEST_READABLE_VERSION
                || version.intValue() > FeedbackEvent.SCHEMA_VERSION) {
            throw new MalformedRecordException(MalformedRecordException.Kind.UNSUPPORTED_VERSION,
                    "schema_version " + version.asText() + " is not supported (this reader supports "
                            + FeedbackEvent.OLDEST_READABLE_VERSION + " to " + FeedbackEvent.SCHEMA_VERSION + ")");
        }
        JsonNode typeNode = root.get(TYPE_FIELD);
        Class<? extends FeedbackEvent> cls = typeNode == null || !typeNode.isTextual() ? null
                : switch (typeNode.textValue()) {
                    case RoundEvent.TYPE -> RoundEvent.class;
                    case RequestSummaryEvent.TYPE -> RequestSummaryEvent.class;
                    case DecisionEvent.TYPE -> DecisionEvent.class;
                    default -> null;
                };
        if (cls == null) {
            throw new MalformedRecordException(MalformedRecordException.Kind.UNKNOWN_TYPE,
                    "missing or unknown type " + typeNode);
        }
        if (cls == RoundEvent.class && root.get("sources") instanceof ObjectNode sources) {
            sources.retain(RoundEvent.SOURCES); // a source a newer writer knows is a field this reader ignores
        }
        try {
            return MAPPER.treeToValue(root, cls);
        } catch (IOException | IllegalArgumentException e) {
            Throwable cause = e;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            String detail = cause instanceof IllegalArgumentException ? cause.getMessage()
                    : e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            throw new MalformedRecordException(MalformedRecordException.Kind.INVALID_EVENT,
                    "invalid " + typeNode.textValue() + " event: " + detail, e);
        }
    }
}
