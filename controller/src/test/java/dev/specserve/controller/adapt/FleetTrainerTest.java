package dev.specserve.controller.adapt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.TestModels;
import dev.specserve.controller.adaptbench.BenchPrompts;
import dev.specserve.controller.config.AdaptationMode;
import dev.specserve.controller.config.ServerConfig;
import dev.specserve.controller.feedback.FeedbackWiring;
import dev.specserve.controller.feedback.KafkaFeedbackSink;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.engine.EngineRequest;
import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.SamplingParams;
import dev.specserve.telemetry.EmbeddedKafka;
import dev.specserve.telemetry.TelemetryConfig;
import dev.specserve.telemetry.TopicAdmin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet in one JVM: two serving replicas ({@code adaptation=follow}, each its own models, engine, feedback
 * publisher and follower) and one trainer, on the in-process broker. The trainer learns from the verifier labels of
 * both replicas, both replicas serve the version it publishes, a rollback the trainer makes reaches both, and an
 * operator's swap on one replica reaches the other and the trainer, and so does a new drafter file an operator loads
 * there.
 */
class FleetTrainerTest {
    static final int PROMPTS_PER_ROUND = 4;
    static final int MAX_TOKENS = 48;
    /**
     * Every round drafted by the model, so every round can yield a training sample: under {@code specblock} the
     * goodput planner may serve a loaded machine's rounds as lookup trees or plain steps, which label nothing.
     */
    static final String STRATEGY = "specblock-fixed";
    static final ServerConfig.Adaptation FOLLOW = new ServerConfig.Adaptation(10, 300, 0.15, 64, 1,
            AdaptationMode.FOLLOW);
    // the trainer decides once an hour: this test makes its updates itself, on the trainer's own loop
    static final ServerConfig.Adaptation TRAINER = new ServerConfig.Adaptation(3600, 300, 0.15, 64, 1,
            AdaptationMode.LOCAL);

    @TempDir
    Path dir;

    @Test
    void theTrainerLearnsFromBothReplicasBothServeItsVersionAndARollbackAndASwapReachTheWholeFleet() throws Exception {
        List<String> prompts = BenchPrompts.load("java-stream.jsonl");
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TopicAdmin.ensureTopics(TelemetryConfig.defaults(kafka.bootstrapServers()), Duration.ofSeconds(30));
            try (Replica a = new Replica("replica-a", kafka.bootstrapServers(), roots());
                 Replica b = new Replica("replica-b", kafka.bootstrapServers(), roots());
                 ModelStack trainerModels = ModelStack.load(TestModels.dir(), ExecutionDevice.CPU, 2);
                 FleetTrainer trainer = FleetTrainer.start(trainerModels, TelemetryConfig.builder(
                                 kafka.bootstrapServers()).replicaId("trainer").build(), TRAINER, roots(),
                         new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Duration.ofSeconds(5))) {
                long bundled = trainerModels.versions().current().id();

                // both replicas serve a drifted domain; their labels reach the one trainer
                DrafterVersion trained = null;
                for (int attempt = 0; attempt < 4 && trained == null; attempt++) {
                    int from = attempt * PROMPTS_PER_ROUND;
                    List<CompletableFuture<GenerationResult>> served = new ArrayList<>();
                    served.addAll(a.serve(prompts.subList(from, from + PROMPTS_PER_ROUND)));
                    served.addAll(b.serve(prompts.subList(48 + from, 48 + from + PROMPTS_PER_ROUND)));
                    for (CompletableFuture<GenerationResult> f : served) {
                        f.get(180, TimeUnit.SECONDS);
                    }
                    FleetUpdatesTest.await(() -> samplesFrom(trainer, "replica-a") > 0
                            && samplesFrom(trainer, "replica-b") > 0, "samples from both replicas at the trainer");
                    Thread.sleep(1000); // the rest of this round's samples
                    trainer.controller().updateNow(AdaptationTuning.UPDATE_LARGE);
                    DrafterVersion current = trainerModels.versions().current();
                    trained = current.id() != bundled ? current : null;
                }
                assertThat(trained).as("the trainer swapped in an update trained on both replicas' labels").isNotNull();
                assertThat(trainer.received()).containsKeys("replica-a", "replica-b");
                DrafterVersion v = trained;

                FleetUpdatesTest.await(() -> a.current() == v.id() && b.current() == v.id(),
                        "both replicas serve the trainer's version " + v.id());
                assertThat(a.models.versions().current().adapter().a()).containsExactly(v.adapter().a());
                assertThat(b.models.versions().current().adapter().b()).containsExactly(v.adapter().b());
                for (CompletableFuture<GenerationResult> f : a.serve(prompts.subList(90, 92))) {
                    assertThat(f.get(180, TimeUnit.SECONDS).tokens()).isNotEmpty();
                }
                FleetUpdatesTest.await(() -> Long.valueOf(v.id()).equals(trainer.replicaVersions().get("replica-a")),
                        "the trainer sees from replica a's rounds that it serves version " + v.id());
                assertThat(trainer.replicasBehind()).as("rounds drafted before the version was adopted").isEmpty();

                assertThat(trainer.controller().rollback("test: the operator distrusts it")).isPresent();
                FleetUpdatesTest.await(() -> a.current() == v.parentId() && b.current() == v.parentId(),
                        "the rollback to version " + v.parentId() + " reaches both replicas");

                a.adaptation.admin().swap(v.id());
                FleetUpdatesTest.await(() -> b.current() == v.id()
                                && trainerModels.versions().current().id() == v.id(),
                        "an operator's swap on replica a reaches replica b and the trainer");

                Path file = otherDrafterFile(a.models);
                String sha = dev.specserve.runtime.manifest.ManifestLoader.sha256(file);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.adaptation.admin().load(file.toString(), sha,
                        false)).as("a follower numbers no version of its own").hasMessageContaining("adaptation=follow");
                Map<String, Object> loaded = a.adaptation.admin().load(file.toString(), sha, true);
                FleetUpdatesTest.await(() -> b.models.versions().current().model().fingerprint().equals(sha)
                                && trainerModels.versions().current().model().fingerprint().equals(sha),
                        "the drafter file loaded on replica a is opened and served by replica b and the trainer");
                assertThat(loaded).as("the trainer numbered the loaded file's version").containsEntry("numbered_by", "trainer");
                assertThat(a.models.versions().current().model().fingerprint()).isEqualTo(sha);
                assertThat(List.of(a.current(), b.current(), trainerModels.versions().current().id()))
                        .as("one id for the loaded file everywhere").containsOnly(((Number) loaded.get("id")).longValue());
                for (CompletableFuture<GenerationResult> f : b.serve(prompts.subList(92, 94))) {
                    assertThat(f.get(180, TimeUnit.SECONDS).tokens()).isNotEmpty();
                }
                assertThat(trainer.rejected().values()).allMatch(n -> n == 0);
                assertThat(a.adaptation.loop()).as("a follower runs no loop of its own").isNull();
            }
        }
    }

    /**
     * The bundled drafter with an unknown protobuf field appended: the same network, another file (another sha256),
     * as a retrained drafter would be.
     */
    Path otherDrafterFile(ModelStack models) throws java.io.IOException {
        Path file = dir.resolve("drafter-retrained.onnx");
        byte[] onnx = java.nio.file.Files.readAllBytes(models.manifest().drafter().file());
        byte[] field = {(byte) 0xC2, 0x3E, 3, 'v', '2', '!'}; // field 1000, length-delimited, 3 bytes
        byte[] out = java.util.Arrays.copyOf(onnx, onnx.length + field.length);
        System.arraycopy(field, 0, out, onnx.length, field.length);
        return java.nio.file.Files.write(file, out);
    }

    /** Where drafter files may be opened from: the models, and this test's directory. */
    List<Path> roots() {
        return List.of(TestModels.dir(), dir);
    }

    static long samplesFrom(FleetTrainer trainer, String replica) {
        FleetTally.Counts c = trainer.received().get(replica);
        return c == null ? 0 : c.samples();
    }

    /** One serving replica with adaptation=follow, as {@code serve} assembles it. */
    static final class Replica implements AutoCloseable {
        final String id;
        final ModelStack models;
        final Engine engine;
        final FeedbackWiring wiring;
        final ReplicaAdaptation adaptation;
        private int requests;

        Replica(String id, String bootstrap, List<Path> roots) {
            this.id = id;
            models = ModelStack.load(TestModels.dir(), ExecutionDevice.CPU, 2);
            engine = models.newEngine(new EngineConfig(4, 64, 256, STRATEGY, new DraftBudget(16, 6), 120_000, 0, 32));
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            wiring = FeedbackWiring.start(bootstrap, Map.of("SPECSERVE_REPLICA_ID", id), registry);
            adaptation = ReplicaAdaptation.start(models, engine, 4, wiring, FOLLOW, roots, registry);
            engine.addListener(new KafkaFeedbackSink(wiring.publisher(), id, AdaptationLoop.drafterId(models)));
        }

        long current() {
            return models.versions().current().id();
        }

        List<CompletableFuture<GenerationResult>> serve(List<String> prompts) {
            List<CompletableFuture<GenerationResult>> out = new ArrayList<>();
            for (String prompt : prompts) {
                CompletableFuture<GenerationResult> done = new CompletableFuture<>();
                engine.submit(new EngineRequest(id + "-" + requests++, prompt, MAX_TOKENS, SamplingParams.GREEDY,
                        List.of(), STRATEGY, null, null, 0), new GenerationObserver() {
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
                out.add(done);
            }
            return out;
        }

        @Override
        public void close() {
            engine.close();
            wiring.publisher().close();
            adaptation.close();
            wiring.close();
            models.close();
        }
    }
}
