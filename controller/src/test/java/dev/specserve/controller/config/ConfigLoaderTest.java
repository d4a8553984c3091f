package dev.specserve.controller.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    Path file(String json) throws IOException {
        Path f = dir.resolve("specserve.json");
        Files.writeString(f, json);
        return f;
    }

    @Test
    void with_nothing_given_every_setting_has_its_documented_default() {
        ServerConfig c = ConfigLoader.load(null, Map.of(), Map.of());

        assertThat(c.httpHost()).isEqualTo("127.0.0.1");
        assertThat(c.httpPort()).isEqualTo(8000);
        assertThat(c.bridgeHost()).isEqualTo("127.0.0.1");
        assertThat(c.bridgePort()).isEqualTo(7000);
        assertThat(c.bridgeEnabled()).isTrue();
        assertThat(c.maxBatch()).isEqualTo(8);
        assertThat(c.queueCapacity()).isEqualTo(64);
        assertThat(c.maxTokensLimit()).isEqualTo(0); // what the context holds
        assertThat(c.strategy()).isEqualTo("auto");
        assertThat(c.cluster().enabled()).as("clustering is off unless asked for").isFalse();
        assertThat(c.cluster().host()).isEqualTo("127.0.0.1");
        assertThat(c.cluster().members()).isEqualTo("127.0.0.1");
        assertThat(c.cluster().admin()).isFalse();
        assertThat(c.requestTimeoutMs()).isEqualTo(120_000);
        assertThat(c.prefixCacheBytes()).isEqualTo(256L << 20);
        assertThat(c.streamConsumerTimeoutMs()).isEqualTo(2000);
        assertThat(c.security().modelRoots()).isEmpty();
        assertThat(c.effectiveModelRoots()).containsExactly(dev.specserve.runtime.SpecserveHome.demoModels());
        assertThat(c.security().corsOrigins()).isEmpty();
        assertThat(c.security().bridgeMaxFrameBytes()).isEqualTo(1 << 20);
        assertThat(c.adminToken()).isNull();
        assertThat(c.kafkaBootstrap()).isNull();
        assertThat(c.models()).isNull();
        assertThat(c.device()).isEqualTo("auto");
        assertThat(c.threads()).isEqualTo(dev.specserve.runtime.ort.IntraOpThreads.auto(Runtime.getRuntime().availableProcessors()));
    }

    @Test
    void a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() throws IOException {
        Path f = file("{\"http_port\": 1111, \"max_batch\": 3, \"queue_capacity\": 5, \"strategy\": \"ngram\"}");
        Map<String, String> env = Map.of("SPECSERVE_HTTP_PORT", "2222", "SPECSERVE_MAX_BATCH", "6");
        Map<String, String> flags = Map.of("http_port", "3333");

        ServerConfig c = ConfigLoader.load(f, env, flags);

        assertThat(c.httpPort()).as("flag").isEqualTo(3333);
        assertThat(c.maxBatch()).as("environment").isEqualTo(6);
        assertThat(c.queueCapacity()).as("file").isEqualTo(5);
        assertThat(c.strategy()).as("file").isEqualTo("ngram");
        assertThat(c.maxTokensLimit()).as("default").isEqualTo(0);
    }

    @Test
    void every_documented_environment_variable_is_read() {
        Map<String, String> env = Map.ofEntries(
                Map.entry("SPECSERVE_HTTP_HOST", "0.0.0.0"), Map.entry("SPECSERVE_HTTP_PORT", "9000"),
                Map.entry("SPECSERVE_BRIDGE_PORT", "0"), Map.entry("SPECSERVE_MAX_BATCH", "2"),
                Map.entry("SPECSERVE_QUEUE_CAPACITY", "0"), Map.entry("SPECSERVE_MAX_TOKENS_LIMIT", "128"),
                Map.entry("SPECSERVE_STRATEGY", "eagle"), Map.entry("SPECSERVE_REQUEST_TIMEOUT_MS", "0"),
                Map.entry("SPECSERVE_PREFIX_CACHE_BYTES", "0"), Map.entry("SPECSERVE_ADMIN_TOKEN", "t"),
                Map.entry("SPECSERVE_KAFKA_BOOTSTRAP", "localhost:9092"), Map.entry("SPECSERVE_DEVICE", "CPU"));

        ServerConfig c = ConfigLoader.load(null, env, Map.of());

        assertThat(c.httpHost()).isEqualTo("0.0.0.0");
        assertThat(c.httpPort()).isEqualTo(9000);
        assertThat(c.bridgeEnabled()).as("bridge port 0 disables the bridge").isFalse();
        assertThat(c.maxBatch()).isEqualTo(2);
        assertThat(c.queueCapacity()).isZero();
        assertThat(c.maxTokensLimit()).isEqualTo(128);
        assertThat(c.strategy()).isEqualTo("eagle");
        assertThat(c.requestTimeoutMs()).isZero();
        assertThat(c.prefixCacheBytes()).isZero();
        assertThat(c.adminToken()).isEqualTo("t");
        assertThat(c.kafkaBootstrap()).isEqualTo("localhost:9092");
        assertThat(c.device()).isEqualTo("cpu");
        assertThat(c.toString()).as("secrets are masked").doesNotContain("=t,");
    }

    @Test
    void the_engine_config_carries_the_scheduler_settings() {
        ServerConfig c = ConfigLoader.load(null, Map.of(), Map.of("max_batch", "2", "queue_capacity", "9",
                "max_tokens_limit", "77", "strategy", "none", "request_timeout_ms", "5", "prefix_cache_bytes", "1024"));

        var e = c.toEngineConfig();

        assertThat(e.maxBatch()).isEqualTo(2);
        assertThat(e.queueCapacity()).isEqualTo(9);
        assertThat(e.maxTokensLimit()).isEqualTo(77);
        assertThat(e.defaultStrategy()).isEqualTo("none");
        assertThat(e.requestTimeoutMillis()).isEqualTo(5);
        assertThat(e.prefixCacheBytes()).isEqualTo(1024);
    }

    @Test
    void a_bad_environment_value_names_the_key_and_the_variable() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SPECSERVE_HTTP_PORT", "eighty"), Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("http_port"))
                .hasMessageContaining("'http_port'")
                .hasMessageContaining("SPECSERVE_HTTP_PORT")
                .hasMessageContaining("eighty");
    }

    @Test
    void an_unknown_strategy_is_refused_naming_where_it_came_from() throws IOException {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SPECSERVE_STRATEGY", "fast"), Map.of()))
                .hasMessageContaining("'strategy' (from environment variable SPECSERVE_STRATEGY)")
                .hasMessageContaining("none, ngram").hasMessageContaining("got 'fast'");
        Path f = file("{\"strategy\": \"fast\"}");
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), Map.of())).hasMessageContaining("(from config file " + f + ")");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("strategy", "fast")))
                .hasMessageContaining("(from flag --strategy)");
    }

    @Test
    void cors_origins_that_are_not_origins_are_refused_with_the_settings_naming_the_value_and_its_source() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("cors_origins", "https://ok.example,example.com")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'cors_origins' (from flag --cors-origins)").hasMessageContaining("got 'example.com'");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SPECSERVE_CORS_ORIGINS", "app.example"), Map.of()))
                .hasMessageContaining("environment variable SPECSERVE_CORS_ORIGINS");
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("cors_origins", "https://app.example, http://localhost:3000"))
                .security().corsOrigins()).containsExactly("https://app.example", "http://localhost:3000");
    }

    @Test
    void out_of_range_values_are_refused_naming_the_key() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("max_batch", "0")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("max_batch"))
                .hasMessageContaining("flag --max-batch")
                .hasMessageContaining(">= 1");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("http_port", "70000")))
                .hasMessageContaining("'http_port'");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("device", "tpu")))
                .hasMessageContaining("'device'").hasMessageContaining("auto, cuda, cpu");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("http_host", " ")))
                .hasMessageContaining("'http_host'");
    }

    @Test
    void threads_is_auto_by_default_takes_a_positive_count_and_refuses_anything_else() throws IOException {
        assertThat(ConfigLoader.load(null, Map.of("SPECSERVE_THREADS", "3"), Map.of()).threads()).isEqualTo(3);
        assertThat(ConfigLoader.load(file("{\"threads\": 4}"), Map.of(), Map.of()).threads()).isEqualTo(4);
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("threads", "AUTO")).threads())
                .isEqualTo(dev.specserve.runtime.ort.IntraOpThreads.auto(Runtime.getRuntime().availableProcessors()));
        for (String bad : new String[] {"0", "-2", "two", "1.5"}) {
            assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("threads", bad)))
                    .hasMessageContaining("'threads'").hasMessageContaining("auto").hasMessageContaining("'" + bad + "'");
        }
    }

    @Test
    void max_model_len_is_the_models_own_by_default_and_a_cap_otherwise() {
        assertThat(ConfigLoader.load(null, Map.of(), Map.of()).maxModelLen()).isZero();
        assertThat(ConfigLoader.load(null, Map.of("SPECSERVE_MAX_MODEL_LEN", "4096"), Map.of()).maxModelLen()).isEqualTo(4096);
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("max_model_len", "-1")))
                .hasMessageContaining("'max_model_len'");
    }

    @Test
    void a_fraction_in_the_file_is_a_json_number() throws IOException {
        assertThat(ConfigLoader.load(file("{\"rollback_margin\": 0.2}"), Map.of(), Map.of()).adaptation().rollbackMargin())
                .isEqualTo(0.2);
        assertThatThrownBy(() -> ConfigLoader.load(file("{\"queue_capacity\": 2.5}"), Map.of(), Map.of()))
                .hasMessageContaining("'queue_capacity'");
    }

    @Test
    void a_list_setting_in_the_file_may_be_a_json_array_of_its_items() throws IOException {
        ServerConfig c = ConfigLoader.load(file("{\"api_key\": [\"k1\", \"k2\"], \"allowed_hosts\": \"a.example\"}"),
                Map.of(), Map.of());
        assertThat(c.security().apiKeys()).containsExactly("k1", "k2");
        assertThatThrownBy(() -> ConfigLoader.load(file("{\"api_key\": [\"k1\", 2]}"), Map.of(), Map.of()))
                .hasMessageContaining("'api_key'").hasMessageContaining("array of non-empty strings");
        assertThatThrownBy(() -> ConfigLoader.load(file("{\"http_host\": [\"a\"]}"), Map.of(), Map.of()))
                .as("not a list setting").hasMessageContaining("'http_host'");
    }

    /** A Host entry that could never match (a URL, a space, a wildcard pattern) is refused, not left to fail closed. */
    @Test
    void allowed_hosts_are_host_names_with_an_optional_port_or_a_star() throws IOException {
        ServerConfig c = ConfigLoader.load(null, Map.of(), Map.of("allowed_hosts", "API.example:443, [::1], ::1, "
                + "localhost, 10.0.0.2:8000"));
        assertThat(c.security().allowedHosts()).hasSize(5);
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("allowed_hosts", "*")).security().allowedHosts())
                .containsExactly("*");
        for (String bad : List.of("http://x/", "a b", "*.example.com", "api.example/v1")) {
            assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("allowed_hosts", bad))).as(bad)
                    .hasMessageContaining("'allowed_hosts'").hasMessageContaining("got '" + bad + "'");
        }
    }

    @Test
    void a_setting_given_twice_in_the_file_is_refused() throws IOException {
        assertThatThrownBy(() -> ConfigLoader.load(file("{\"http_port\": 8080, \"http_port\": 9090}"), Map.of(),
                Map.of())).hasMessageContaining("http_port").hasMessageContaining("Duplicate");
    }

    /** Errors reach logs: a wrongly typed key or token is named, never printed, nor are the valid keys beside it. */
    @Test
    void a_bad_api_key_or_admin_token_is_refused_without_printing_it() throws IOException {
        for (String json : List.of("{\"api_key\": 123456789012}", "{\"api_key\": [\"GOODSECRET1\", \"\"]}",
                "{\"api_key\": [\"GOODSECRET1\", \"bad,SECRET2\"]}", "{\"admin_token\": 987654321}",
                "{\"admin_token\": [\"TOKENSECRET\"]}", "{\"api_key\": {\"k\": \"OBJSECRET\"}}",
                "{\"api_key\": GOODSECRET1}")) {
            assertThatThrownBy(() -> ConfigLoader.load(file(json), Map.of(), Map.of())).as(json)
                    .hasMessageContaining(json.contains("admin") ? "admin_token" : json.contains(": G") ? "not valid JSON"
                            : "'api_key'")
                    .hasMessageNotContainingAny("SECRET", "123456789012", "987654321");
        }
    }

    @Test
    void a_file_value_of_the_wrong_json_type_is_refused_naming_the_key_and_the_file() throws IOException {
        Path f = file("{\"queue_capacity\": \"lots\"}");

        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("queue_capacity"))
                .hasMessageContaining(f.toString());
        Path g = file("{\"strategy\": 5}");
        assertThatThrownBy(() -> ConfigLoader.load(g, Map.of(), Map.of())).hasMessageContaining("'strategy'");
    }

    @Test
    void an_unknown_key_in_the_file_is_an_error_listing_the_known_keys() throws IOException {
        Path f = file("{\"http_prot\": 8000}");

        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("http_prot"))
                .hasMessageContaining("unknown setting 'http_prot'")
                .hasMessageContaining("http_port");
    }

    @Test
    void a_file_that_is_not_a_json_object_or_is_missing_is_reported_as_such() throws IOException {
        Path broken = file("{\"http_port\": ");
        assertThatThrownBy(() -> ConfigLoader.load(broken, Map.of(), Map.of())).hasMessageContaining("not valid JSON");
        Path array = file("[1, 2]");
        assertThatThrownBy(() -> ConfigLoader.load(array, Map.of(), Map.of())).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.json"), Map.of(), Map.of()))
                .hasMessageContaining("does not exist");
    }

    @Test
    void null_in_the_file_leaves_the_default() throws IOException {
        assertThat(ConfigLoader.load(file("{\"http_port\": null}"), Map.of(), Map.of()).httpPort()).isEqualTo(8000);
    }

    @Test
    void controller_config_md_holds_the_current_settings_table() throws IOException {
        String doc = Files.readString(Path.of("CONFIG.md"));

        assertThat(doc).contains(ConfigKey.markdownTable());
    }

    @Test
    void adaptation_is_local_by_default_takes_follow_or_off_and_names_the_choices_otherwise() {
        assertThat(ConfigLoader.load(null, Map.of(), Map.of()).adaptation().mode()).isEqualTo(AdaptationMode.LOCAL);
        assertThat(ConfigLoader.load(null, Map.of("SPECSERVE_ADAPTATION", "Follow"), Map.of()).adaptation().mode())
                .isEqualTo(AdaptationMode.FOLLOW);
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("adaptation", "off")).adaptation().mode())
                .isEqualTo(AdaptationMode.OFF);
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("adaptation", "trainer")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'adaptation'").hasMessageContaining("one of local, follow, off")
                .hasMessageContaining("'trainer'");
    }

    @Test
    void cluster_settings_parse_booleans_and_refuse_anything_else() {
        ServerConfig c = ConfigLoader.load(null, Map.of("SPECSERVE_CLUSTER", "true"),
                Map.of("cluster_members", "multicast", "cluster_admin", "on"));

        assertThat(c.cluster().enabled()).isTrue();
        assertThat(c.cluster().multicast()).isTrue();
        assertThat(c.cluster().admin()).isTrue();
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("cluster", "maybe")))
                .hasMessageContaining("'cluster'").hasMessageContaining("true or false").hasMessageContaining("maybe");
    }
}
