package dev.specserve.controller.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Resolves {@link ServerConfig} from a JSON config file, the environment and command-line flags: for every
 * {@link ConfigKey}, flag &gt; environment &gt; file &gt; default. Every error names the key and where the bad value
 * came from.
 */
public final class ConfigLoader {
    /** A setting given twice in the file is refused: which one was meant is the operator's to say. */
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private ConfigLoader() {}

    /** Loads with the process environment. */
    public static ServerConfig load(Path file, Map<String, String> flags) {
        return load(file, System.getenv(), flags);
    }

    /**
     * @param file  JSON object of file keys to values, or null for none
     * @param env   environment variables (only {@code SPECSERVE_*} names from {@link ConfigKey} are read)
     * @param flags flag values by file key (e.g. {@code "http_port" -> "8080"}); absent keys were not given
     */
    public static ServerConfig load(Path file, Map<String, String> env, Map<String, String> flags) {
        Map<ConfigKey, ConfigValues.Source> chosen = new EnumMap<>(ConfigKey.class);
        for (ConfigKey k : ConfigKey.values()) {
            if (k.defaultValue() != null) {
                chosen.put(k, new ConfigValues.Source(k.defaultValue(), "the default"));
            }
        }
        if (file != null) {
            readFile(file, chosen);
        }
        for (ConfigKey k : ConfigKey.values()) {
            String v = env.get(k.env());
            if (v != null && !v.isEmpty()) {
                chosen.put(k, new ConfigValues.Source(v, "environment variable " + k.env()));
            }
        }
        for (Map.Entry<String, String> e : flags.entrySet()) {
            ConfigKey k = ConfigKey.byKey(e.getKey());
            if (k == null) {
                throw new ConfigException(e.getKey(), "unknown setting '" + e.getKey() + "'; known: " + knownKeys());
            }
            if (e.getValue() != null) {
                chosen.put(k, new ConfigValues.Source(e.getValue(), "flag " + k.flag()));
            }
        }
        ConfigValues v = new ConfigValues(chosen);
        return new ServerConfig(
                v.string(ConfigKey.HTTP_HOST), v.integer(ConfigKey.HTTP_PORT),
                v.string(ConfigKey.BRIDGE_HOST), v.integer(ConfigKey.BRIDGE_PORT),
                v.integer(ConfigKey.MAX_BATCH), v.integer(ConfigKey.QUEUE_CAPACITY), v.integer(ConfigKey.MAX_TOKENS_LIMIT),
                v.strategy(ConfigKey.STRATEGY), v.longValue(ConfigKey.REQUEST_TIMEOUT_MS),
                v.longValue(ConfigKey.PREFIX_CACHE_BYTES), v.integer(ConfigKey.PREFILL_CHUNK_TOKENS),
                v.bool(ConfigKey.PREFILL_OVERLAP), v.bool(ConfigKey.LOOKUP_CORPUS),
                v.longValue(ConfigKey.STREAM_CONSUMER_TIMEOUT_MS),
                v.string(ConfigKey.ADMIN_TOKEN), v.string(ConfigKey.KAFKA_BOOTSTRAP),
                v.path(ConfigKey.MODELS),
                v.string(ConfigKey.DEVICE), v.string(ConfigKey.DRAFTER_PRECISION), v.threads(ConfigKey.THREADS),
                v.prefillThreads(ConfigKey.PREFILL_THREADS, v.threads(ConfigKey.THREADS)),
                v.integer(ConfigKey.MAX_MODEL_LEN), v.list(ConfigKey.SERVED_MODEL_NAME),
                v.string(ConfigKey.TOOL_CALL_PARSER),
                new ServerConfig.Adaptation(v.integer(ConfigKey.ADAPTATION_EPOCH_S), v.integer(ConfigKey.ADAPTATION_HORIZON_S),
                        v.fraction(ConfigKey.ROLLBACK_MARGIN), v.integer(ConfigKey.ROLLBACK_WINDOW_ROUNDS),
                        v.integer(ConfigKey.ADAPTATION_TRAINING_THREADS),
                        AdaptationMode.valueOf(v.string(ConfigKey.ADAPTATION).toUpperCase(Locale.ROOT))),
                new ServerConfig.Cluster(v.bool(ConfigKey.CLUSTER), v.string(ConfigKey.CLUSTER_NAME),
                        v.string(ConfigKey.CLUSTER_HOST), v.integer(ConfigKey.CLUSTER_PORT),
                        v.integer(ConfigKey.CLUSTER_BUS_PORT), v.string(ConfigKey.CLUSTER_MEMBERS),
                        v.bool(ConfigKey.CLUSTER_ADMIN)),
                new ServerConfig.Security(v.list(ConfigKey.MODEL_ROOTS).stream().map(Path::of).toList(),
                        v.origins(ConfigKey.CORS_ORIGINS), v.integer(ConfigKey.BRIDGE_MAX_FRAME_BYTES),
                        v.list(ConfigKey.API_KEY), v.hosts(ConfigKey.ALLOWED_HOSTS), v.integer(ConfigKey.HTTP_IDLE_TIMEOUT_S),
                        v.integer(ConfigKey.HTTP_REQUEST_READ_TIMEOUT_S), v.path(ConfigKey.TLS_CERT_FILE), v.path(ConfigKey.TLS_KEY_FILE)),
                v.integer(ConfigKey.SHUTDOWN_DRAIN_S), v.bool(ConfigKey.ACCESS_LOG),
                v.integer(ConfigKey.LOG_STATS_INTERVAL_S));
    }

    private static void readFile(Path file, Map<ConfigKey, ConfigValues.Source> chosen) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException(null, "config file " + file + " does not exist");
        } catch (JsonProcessingException e) {
            // the parser quotes the text it stumbled on, which may be an unquoted key or token: left out (a
            // duplicate setting's quoted name is kept)
            var at = e.getLocation();
            String problem = e.getOriginalMessage();
            throw new ConfigException(null, "config file " + file + " is not valid JSON" + (at == null ? ""
                    : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + ": "
                    + (problem.startsWith("Duplicate field") ? problem : problem.replaceAll("'[^']*'", "'...'")));
        } catch (IOException e) {
            throw new ConfigException(null, "config file " + file + " cannot be read: " + e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(null, "config file " + file + " must hold a JSON object of settings, e.g. {\"http_port\": 8000}");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            ConfigKey k = ConfigKey.byKey(e.getKey());
            String where = "config file " + file;
            if (k == null) {
                throw new ConfigException(e.getKey(), "unknown setting '" + e.getKey() + "' in " + where + "; known: " + knownKeys());
            }
            JsonNode n = e.getValue();
            if (n.isNull()) {
                continue;
            }
            if (n.isArray() && LISTS.contains(k)) { // a list setting as a JSON array: its comma-separated form
                List<String> items = new ArrayList<>();
                n.forEach(item -> items.add(item.isTextual() && !item.textValue().isBlank() && !item.textValue()
                        .contains(",") ? item.textValue() : null));
                if (items.isEmpty() || items.contains(null)) {
                    throw new ConfigException(k.key(), "setting '" + k.key() + "' in " + where + " must be a non-empty "
                            + "array of non-empty strings without commas, or one comma-separated string; got "
                            + ConfigValues.shown(k, n.toString()));
                }
                chosen.put(k, new ConfigValues.Source(String.join(",", items), where));
            } else if (k.type() == ConfigKey.Type.STRING || !k.type().choices().isEmpty()) {
                if (!n.isTextual()) {
                    throw ConfigValues.bad(k, n.toString(), where);
                }
                chosen.put(k, new ConfigValues.Source(n.textValue(), where));
            } else if (k.type() == ConfigKey.Type.BOOLEAN) {
                if (!n.isBoolean() && !n.isTextual()) {
                    throw ConfigValues.bad(k, n.toString(), where);
                }
                chosen.put(k, new ConfigValues.Source(n.asText(), where));
            } else {
                boolean number = k.type() == ConfigKey.Type.FRACTION ? n.isNumber() : n.isIntegralNumber();
                if (!number && !n.isTextual()) {
                    throw ConfigValues.bad(k, n.toString(), where);
                }
                chosen.put(k, new ConfigValues.Source(n.asText(), where));
            }
        }
    }


    /** The settings that hold a comma-separated list, which a config file may also give as a JSON array. */
    private static final Set<ConfigKey> LISTS = EnumSet.of(ConfigKey.API_KEY, ConfigKey.ALLOWED_HOSTS,
            ConfigKey.MODEL_ROOTS, ConfigKey.CORS_ORIGINS, ConfigKey.SERVED_MODEL_NAME, ConfigKey.CLUSTER_MEMBERS);

    private static String knownKeys() {
        StringJoiner j = new StringJoiner(", ");
        for (ConfigKey k : ConfigKey.values()) {
            j.add(k.key());
        }
        return j.toString();
    }

}
