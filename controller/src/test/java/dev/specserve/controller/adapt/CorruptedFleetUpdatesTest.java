package dev.specserve.controller.adapt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.drafters.DrafterConfig;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.ModelStack;
import dev.specserve.drafters.update.AdapterTrainer;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.engine.EngineListener;
import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.RoundResult;
import dev.specserve.runtime.spec.SamplingParams;
import dev.specserve.telemetry.DrafterUpdate;
import dev.specserve.telemetry.EmbeddedKafka;
import dev.specserve.telemetry.TelemetryConfig;
import dev.specserve.telemetry.TopicAdmin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corrupted drafter update on the fleet topic, put there as raw records by a broken or malicious replica, is
 * rejected and counted and never served, while a serving engine keeps producing exactly the target's greedy
 * output, and the good update published after it is applied.
 */
class CorruptedFleetUpdatesTest {
    static final String DRAFTER = "demo/drafter";
    static final List<String> PROMPTS = List.of(
            "import os\nimport sys\n\n\ndef main(argv=None):\n    parser = ",
            "    public static int compare(long x, long y) {\n        return ",
            "class Queue:\n    \"\"\"A FIFO queue.\"\"\"\n\n    def __init__(self, maxsize=0):\n        self.maxsize = maxsize\n        self.",
            "for (int i = 0; i < n; i++) {\n");
    static final int MAX_TOKENS = 32;

    @TempDir
    static Path dir;

    static ModelStack stack;
    static List<GenerationResult> autoregressive;

    @BeforeAll
    static void load() {
        stack = ModelStack.load(modelDir(), ExecutionDevice.CPU, 2);
        autoregressive = new ArrayList<>();
        for (String p : PROMPTS) {
            autoregressive.add(stack.decoder().generate(GenerationRequest.greedy(stack.tokenizer().encode(p),
                    MAX_TOKENS, new DraftBudget(16, 6)), stack.strategy("none", DrafterConfig.expanding()),
                    RoundListener.NONE, () -> false));
        }
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    @Test
    void aNaNUpdateAndAWrongShapeUpdateAreRejectedWhileServingStaysExactAndTheNextGoodUpdateIsApplied()
            throws Exception {
        DrafterVersions versions = stack.versions();
        long bundled = versions.current().id();
        int rank = stack.manifest().drafter().adapterRank();
        int dim = stack.manifest().drafter().dim();
        float[] nanA = AdapterTrainer.initial(rank, dim, 5).a();
        nanA[17] = Float.NaN;
        // the bad ones claim higher versions than the good one: a rejected update must not raise the bar
        DrafterUpdate withNaN = new DrafterUpdate(100, bundled, rank, dim, nanA, new float[dim * rank], "{}");
        DrafterUpdate wrongShape = new DrafterUpdate(101, bundled, rank, 8, AdapterTrainer.initial(rank, 8, 6).a(),
                new float[8 * rank], "{}");
        float[] goodB = new float[dim * rank];
        Arrays.fill(goodB, 0.01f);
        DrafterUpdate good = new DrafterUpdate(bundled + 1, bundled, rank, dim, AdapterTrainer.initial(rank, dim, 7).a(),
                goodB, "{\"steps\":32}");

        Set<Long> versionsServed = ConcurrentHashMap.newKeySet();
        Set<Long> versionsCurrent = ConcurrentHashMap.newKeySet();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        EngineConfig engineConfig = new EngineConfig(4, 64, 256, "specblock", new DraftBudget(16, 6), 120_000, 0, 32);
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"));
             Engine engine = stack.newEngine(engineConfig)) {
            TelemetryConfig telemetry = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("b").build();
            TopicAdmin.ensureTopics(telemetry, Duration.ofSeconds(30));
            engine.addListener(new EngineListener() {
                @Override
                public void onRound(String id, String strategy, long drafterVersion, String domain, RoundResult r,
                                    int[] emitted) {
                    versionsServed.add(drafterVersion);
                }
            });
            FleetUpdatesTest.await(engine::ready, "engine ready");
            List<Served> served = new ArrayList<>();
            try (FleetUpdates fleet = new FleetUpdates(telemetry, DRAFTER, versions, registry);
                 KafkaProducer<String, byte[]> brokenReplica = rawProducer(kafka.bootstrapServers())) {
                Thread watcher = watch(versions, versionsCurrent);
                served.addAll(submitAll(engine, "before"));
                send(brokenReplica, telemetry, withNaN.encode());
                served.addAll(submitAll(engine, "after-nan"));
                send(brokenReplica, telemetry, wrongShape.encode());
                served.addAll(submitAll(engine, "after-wrong-shape"));
                send(brokenReplica, telemetry, good.encode());
                FleetUpdatesTest.await(() -> versions.current().id() == good.version(), "the good update is applied");
                served.addAll(submitAll(engine, "after-good"));
                for (Served s : served) {
                    GenerationResult r = s.done.get(120, TimeUnit.SECONDS);
                    GenerationResult plain = autoregressive.get(s.prompt);
                    assertThat(r.tokens()).as("%s equals plain autoregressive greedy output", s.id)
                            .containsExactly(plain.tokens());
                    assertThat(r.finishReason()).isEqualTo(plain.finishReason());
                }
                watcher.interrupt();
                watcher.join();

                assertThat(fleet.rejected()).containsEntry(FleetUpdates.NOT_FINITE, 1L)
                        .containsEntry(FleetUpdates.SHAPE_MISMATCH, 1L);
                String scrape = registry.scrape();
                assertThat(rejectedTotal(scrape)).as("specserve_drafter_updates_rejected_total, all reasons")
                        .isEqualTo(2.0);
                assertThat(scrape).contains("specserve_drafter_updates_rejected_total{reason=\"not_finite\"} 1.0")
                        .contains("specserve_drafter_updates_rejected_total{reason=\"shape_mismatch\"} 1.0");
            }
            assertThat(versionsServed).as("versions rounds were drafted with").doesNotContain(100L, 101L)
                    .contains(good.version());
        }
        assertThat(versionsCurrent).as("versions ever current").doesNotContain(100L, 101L);
        assertThat(versions.find(100)).as("the NaN update never entered the history").isEmpty();
        assertThat(versions.find(101)).as("the wrong-shape update never entered the history").isEmpty();
        assertThat(versions.current().id()).isEqualTo(good.version());
        assertThat(versions.current().adapter().a()).containsExactly(good.a());
        assertThat(versions.current().adapter().b()).containsExactly(good.b());
    }

    @Test
    void aRecordThatIsNoUpdateAtAllIsSkippedAndCountedAndTheChannelGoesOn() throws Exception {
        DrafterVersions versions = new DrafterVersions(stack.versions().bundled().adapter());
        int rank = stack.manifest().drafter().adapterRank();
        int dim = stack.manifest().drafter().dim();
        // a 40-byte record claiming 40000x40000 tensors, and bytes that are no update
        byte[] huge = java.nio.ByteBuffer.allocate(40).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .put(new byte[] {'S', 'S', 'U', 'P'}).putInt(1).putLong(50).putLong(1).putInt(40_000)
                .putInt(40_000).putInt(0).array();
        DrafterUpdate good = new DrafterUpdate(2, 1, rank, dim, AdapterTrainer.initial(rank, dim, 9).a(),
                new float[dim * rank], "{}");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka-malformed"))) {
            TelemetryConfig telemetry = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("c").build();
            TopicAdmin.ensureTopics(telemetry, Duration.ofSeconds(30));
            try (FleetUpdates fleet = new FleetUpdates(telemetry, DRAFTER, versions, registry);
                 KafkaProducer<String, byte[]> brokenReplica = rawProducer(kafka.bootstrapServers())) {
                send(brokenReplica, telemetry, huge);
                send(brokenReplica, telemetry, "{\"not\": \"an update\"}".getBytes());
                send(brokenReplica, telemetry, good.encode());

                FleetUpdatesTest.await(() -> versions.current().id() == 2, "the good update is applied");
                assertThat(fleet.rejected()).containsEntry(FleetUpdates.MALFORMED, 2L)
                        .containsEntry(FleetUpdates.NOT_FINITE, 0L).containsEntry(FleetUpdates.SHAPE_MISMATCH, 0L);
                assertThat(registry.scrape())
                        .contains("specserve_drafter_updates_rejected_total{reason=\"malformed\"} 2.0");
            }
            assertThat(registry.scrape()).as("meters are removed on close")
                    .doesNotContain("specserve_drafter_updates_rejected_total");
        }
    }

    @Test
    void aVersionBelowOneOrFarBeyondTheHighestKnownIsRejectedAndCountedAndDoesNotBlockLaterUpdates() throws Exception {
        DrafterVersions versions = new DrafterVersions(stack.versions().bundled().adapter());
        int rank = stack.manifest().drafter().adapterRank();
        int dim = stack.manifest().drafter().dim();
        long highest = versions.current().id();
        DrafterUpdate maxValue = new DrafterUpdate(Long.MAX_VALUE, highest, rank, dim,
                AdapterTrainer.initial(rank, dim, 3).a(), new float[dim * rank], "{}");
        DrafterUpdate justBeyond = new DrafterUpdate(highest + FleetUpdates.MAX_VERSION_STEP + 1, highest, rank, dim,
                AdapterTrainer.initial(rank, dim, 4).a(), new float[dim * rank], "{}");
        DrafterUpdate negative = new DrafterUpdate(-5, highest, rank, dim,
                AdapterTrainer.initial(rank, dim, 7).a(), new float[dim * rank], "{}");
        DrafterUpdate atTheBound = new DrafterUpdate(highest + FleetUpdates.MAX_VERSION_STEP, highest, rank, dim,
                AdapterTrainer.initial(rank, dim, 5).a(), new float[dim * rank], "{}");
        DrafterUpdate next = new DrafterUpdate(atTheBound.version() + 1, atTheBound.version(), rank, dim,
                AdapterTrainer.initial(rank, dim, 6).a(), new float[dim * rank], "{}");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka-version"))) {
            TelemetryConfig telemetry = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("d").build();
            TopicAdmin.ensureTopics(telemetry, Duration.ofSeconds(30));
            try (FleetUpdates fleet = new FleetUpdates(telemetry, DRAFTER, versions, registry);
                 KafkaProducer<String, byte[]> brokenReplica = rawProducer(kafka.bootstrapServers())) {
                send(brokenReplica, telemetry, maxValue.encode());
                send(brokenReplica, telemetry, justBeyond.encode());
                send(brokenReplica, telemetry, negative.encode());
                send(brokenReplica, telemetry, atTheBound.encode());
                FleetUpdatesTest.await(() -> versions.current().id() == atTheBound.version(), "the in-range update is applied");
                send(brokenReplica, telemetry, next.encode());
                FleetUpdatesTest.await(() -> versions.current().id() == next.version(), "later updates still apply");

                assertThat(fleet.rejected()).containsEntry(FleetUpdates.VERSION_OUT_OF_RANGE, 3L);
                assertThat(registry.scrape())
                        .contains("specserve_drafter_updates_rejected_total{reason=\"version_out_of_range\"} 3.0");
                assertThat(versions.find(-5)).isEmpty();
                assertThat(versions.find(Long.MAX_VALUE)).isEmpty();
            }
        }
    }

    record Served(String id, int prompt, CompletableFuture<GenerationResult> done) {}

    static List<Served> submitAll(Engine engine, String phase) {
        List<Served> out = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            CompletableFuture<GenerationResult> done = new CompletableFuture<>();
            String id = phase + "-" + i;
            engine.submit(new EngineRequest(id, PROMPTS.get(i), MAX_TOKENS, SamplingParams.GREEDY, List.of(),
                    "specblock", null, null, 0), new GenerationObserver() {
                        @Override
                        public void onTokens(int[] tokens, String textDelta) {
                        }

                        @Override
                        public void onComplete(GenerationResult result, RequestStats stats) {
                            done.complete(result);
                        }

                        @Override
                        public void onError(Throwable error) {
                            done.completeExceptionally(error);
                        }
                    });
            out.add(new Served(id, i, done));
        }
        return out;
    }

    /** Records every version that is current at some sampled moment. */
    static Thread watch(DrafterVersions versions, Set<Long> seen) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                seen.add(versions.current().id());
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
        }, "current-version-watcher");
        t.setDaemon(true);
        t.start();
        return t;
    }

    static KafkaProducer<String, byte[]> rawProducer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    static void send(KafkaProducer<String, byte[]> producer, TelemetryConfig telemetry, byte[] value)
            throws Exception {
        producer.send(new ProducerRecord<>(telemetry.updatesTopic(), DRAFTER, value)).get(10, TimeUnit.SECONDS);
    }

    static double rejectedTotal(String scrape) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith("specserve_drafter_updates_rejected_total{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    static Path modelDir() {
        return dev.specserve.controller.TestModels.dir();
    }
}
