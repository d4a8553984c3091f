package dev.specserve.controller.adapt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.specserve.bandit.Arm;
import dev.specserve.bandit.BanditConfig;
import dev.specserve.bandit.CostAwareBandit;
import dev.specserve.bandit.Decision;
import dev.specserve.bandit.DecisionLog;
import dev.specserve.bandit.DecisionReplay;
import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.DrafterUpdater;
import dev.specserve.telemetry.DecisionEvent;
import dev.specserve.telemetry.EmbeddedKafka;
import dev.specserve.telemetry.FeedbackEvent;
import dev.specserve.telemetry.FeedbackJson;
import dev.specserve.telemetry.FeedbackPublisher;
import dev.specserve.telemetry.RoundEvent;
import dev.specserve.telemetry.TelemetryConfig;
import dev.specserve.telemetry.TopicAdmin;
import dev.specserve.telemetry.TrainingSample;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decisions an adaptation loop publishes on the feedback topic are enough to audit it: read back from the
 * broker, they rebuild the bandit's calls, and a fresh bandit replaying them chooses the same arm for every
 * decision, with the same predicted gain, cost and posterior, and ends with the same learned model.
 *
 * <p>The loop runs for real: epochs on this thread, updates on the training executor, rewards measured from the
 * round events' own timestamps and realised once their windows close (a 0.4 s horizon), so rewards and decisions
 * interleave as they do in service. The feedback
 * is synthetic: acceptance falls below its high-water mark, verifier-labelled samples keep arriving, and every
 * update is trained and shadow-checked but never swapped in (the shadow margin is unreachable), so every epoch
 * is a real choice between waiting and updating.
 */
class BanditReplayOverKafkaTest {
    static final String DRAFTER = "demo/drafter";
    static final int DIM = AdaptationControllerTest.DIM;
    static final int VOCAB = AdaptationControllerTest.VOCAB;
    static final int EPOCHS = 40;

    @TempDir
    Path dir;

    final BanditConfig config = new BanditConfig(Arm.defaults(), 0.4, 0.0, 0.01, 0.01, 20_240_601L);
    final DrafterVersions versions = new DrafterVersions(Adapter.zero(3, DIM));
    final SplittableRandom rng = new SplittableRandom(17);

    @Test
    void decisionsReadBackFromTheFeedbackTopicReplayToTheSameArmsPredictionsAndPosterior() throws Exception {
        List<Decision> live = new CopyOnWriteArrayList<>();
        CostAwareBandit bandit = new CostAwareBandit(config);
        bandit.addListener(new DecisionLog() {
            @Override
            public void onDecision(Decision d) {
                live.add(d);
            }

            @Override
            public void onRealised(Decision d) {
                live.replaceAll(x -> x.id().equals(d.id()) ? d : x);
            }
        });
        AtomicReference<AdaptationController.Load> load = new AtomicReference<>(new AdaptationController.Load(0, 0));
        List<DecisionEvent> events;
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig telemetry = TelemetryConfig.builder(kafka.bootstrapServers()).replicaId("replica-a").build();
            TopicAdmin.ensureTopics(telemetry, Duration.ofSeconds(30));
            var settings = new AdaptationController.Settings(DRAFTER, Duration.ofHours(1), Duration.ofSeconds(30), 8,
                    0.5, 1);
            try (FeedbackPublisher publisher = new FeedbackPublisher(telemetry, new SimpleMeterRegistry());
                 AdaptationController c = new AdaptationController(settings, versions,
                         new DrafterUpdater(versions, AdaptationControllerTest.head(), 3e-2, 32, 2.0), bandit, load::get,
                         4, publisher, "replica-a")) {
                rounds(c, 64, 3);               // the drafter's level
                c.epoch();                      // sets the high-water mark
                samples(c, 60);
                c.updateNow(8, 256);            // operator updates: the loop learns what an update costs here
                samples(c, 60);
                c.updateNow(32, 0);
                for (int i = 0; i < EPOCHS; i++) {
                    rounds(c, 12, i % 4 == 0 ? 1 : 0);
                    samples(c, 12);
                    load.set(new AdaptationController.Load(i % 5, i % 3));
                    c.epoch();
                    while (c.training()) {
                        Thread.sleep(5);
                    }
                    Thread.sleep(80);           // rewards wait 1 s of event time for late rounds: let it pass mid-run
                }
                for (int i = 0; i < 100 && c.rewardsOpen() > 0; i++) {
                    rounds(c, 12, 0);       // rounds keep coming: the watermark passes the last windows
                    Thread.sleep(50);
                    c.realiseReady();
                }
                assertThat(c.rewardsOpen()).as("every reward window closed").isZero();
                assertThat((long) bandit.pendingCount()).as("every measurable decision realised")
                        .isEqualTo(c.rewardsUnmeasured());
                // how many windows hold enough rounds depends on this machine's timing; replay must hold for all that did
                assertThat(live.stream().filter(Decision::isRealised).count()).as("realised").isPositive();
                events = readBanditEvents(kafka.bootstrapServers(), bandit.sequence());
            }
        }

        // the topic's order is the order listeners published in, not necessarily the bandit's; an audit may
        // also merge logs: replay goes by sequence numbers, whatever the order of the events
        java.util.Collections.shuffle(events, new java.util.Random(3));
        Map<String, BanditLog.Run> runs = BanditLog.runs(events);
        assertThat(runs).as("one bandit instance, found by its run id").containsOnlyKeys(bandit.runId());
        BanditLog.Run run = runs.get(bandit.runId());
        assertThat(run.config()).as("the bandit rebuilt from the events").isEqualTo(config);
        DecisionReplay.Result replay = run.replay();

        assertThat(replay.divergences()).isEmpty();
        assertThat(replay.gap()).isEmpty();
        assertThat(replay.decisions()).hasSameSizeAs(live);
        assertThat(live).filteredOn(Decision::isRealised).allMatch(d -> !d.rewardInputs().isEmpty());
        for (Decision d : live) {
            Decision again = replay.decision(d.id());
            assertThat(again.arm()).as("arm of %s", d.id()).isEqualTo(d.arm());
            assertThat(again.predictedGain()).as("gain of %s", d.id()).isCloseTo(d.predictedGain(), within(1e-9));
            assertThat(again.predictedCost()).as("cost of %s", d.id()).isCloseTo(d.predictedCost(), within(1e-9));
            for (Decision.ArmEstimate e : d.estimates()) {
                Decision.ArmEstimate r = again.estimate(e.arm().name());
                assertThat(r.posteriorMean()).isCloseTo(e.posteriorMean(), within(1e-9));
                assertThat(r.posteriorSd()).isCloseTo(e.posteriorSd(), within(1e-9));
            }
            assertThat(again.realisedReward()).isEqualTo(d.realisedReward());
        }
        CostAwareBandit.Learned learnedLive = bandit.learned(DRAFTER).orElseThrow();
        CostAwareBandit.Learned learnedAgain = replay.learned().get(DRAFTER);
        assertThat(learnedAgain.observations()).isEqualTo(learnedLive.observations())
                .isEqualTo(live.stream().filter(Decision::isRealised).count());
        assertThat(learnedAgain.noiseVariance()).isCloseTo(learnedLive.noiseVariance(), within(1e-12));
        for (int k = 0; k < learnedLive.mean().size(); k++) {
            assertThat(learnedAgain.mean().get(k)).as("posterior mean θ[%d]", k)
                    .isCloseTo(learnedLive.mean().get(k), within(1e-12));
        }

        // what made this a real test of replay
        assertThat(live).filteredOn(d -> d.reason() == Decision.Reason.THOMPSON_SAMPLE
                        || d.reason() == Decision.Reason.EXPLORATION)
                .as("decisions drawn from the random stream").hasSizeGreaterThanOrEqualTo(5);
        assertThat(live).filteredOn(d -> d.sequence() > firstRealisedSequence(live))
                .as("decisions made after the bandit had learned from rewards").isNotEmpty();
    }

    static long firstRealisedSequence(List<Decision> decisions) {
        return decisions.stream().mapToLong(Decision::realisedSequence).filter(s -> s > 0).min().orElseThrow();
    }

    /** Every bandit event on the feedback topic, with a plain consumer, once {@code expected} have arrived. */
    static List<DecisionEvent> readBanditEvents(String bootstrap, long expected) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "audit-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<DecisionEvent> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(TelemetryConfig.DEFAULT_FEEDBACK_TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    FeedbackEvent e = FeedbackJson.decode(r.value());
                    if (e instanceof DecisionEvent d && BanditLog.POLICY.equals(d.policy())
                            && d.inputs().containsKey(BanditLog.SEQUENCE)) {
                        out.add(d);
                    }
                }
            }
        }
        assertThat(out).as("bandit events on the topic").hasSize((int) expected);
        return out;
    }

    void rounds(AdaptationController c, int n, int accepted) {
        for (int i = 0; i < n; i++) {
            List<Boolean> perDepth = new ArrayList<>();
            for (int d = 0; d < 4; d++) {
                perDepth.add(d < accepted);
            }
            c.onRound(new RoundEvent(System.currentTimeMillis(), "replica-a", "r" + i, i, "specblock", DRAFTER, 1, 8,
                    4, accepted, perDepth, 1000, 1000, null));
        }
    }

    /** Verifier-labelled samples (the labels are noise: no update can pass the shadow check). */
    void samples(AdaptationController c, int n) {
        for (int i = 0; i < n; i++) {
            int nodes = 5;
            float[] hidden = new float[nodes * DIM];
            int[] tokens = new int[nodes];
            for (int k = 0; k < hidden.length; k++) {
                hidden[k] = (float) rng.nextGaussian();
            }
            for (int k = 0; k < nodes; k++) {
                tokens[k] = rng.nextInt(VOCAB);
            }
            c.onSample(new TrainingSample("req" + i, 0, DRAFTER, 1, DIM, hidden, tokens,
                    new boolean[] {true, true, true, true, true}, new int[] {1, 2, 3, 4, 5}));
        }
    }
}
