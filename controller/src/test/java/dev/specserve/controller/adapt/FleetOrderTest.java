package dev.specserve.controller.adapt;

import static dev.specserve.controller.adapt.FleetUpdatesTest.DRAFTER;
import static dev.specserve.controller.adapt.FleetUpdatesTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.drafters.Adapter;
import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.AdapterTrainer;
import dev.specserve.telemetry.DrafterUpdate;
import dev.specserve.telemetry.DrafterUpdateChannel;
import dev.specserve.telemetry.EmbeddedKafka;
import dev.specserve.telemetry.TelemetryConfig;
import dev.specserve.telemetry.TopicAdmin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The last record on the updates topic wins everywhere: swaps made at once on two replicas, or crossing the
 * trainer's publish, leave every process on the same version; ids stay unique after compaction removed the
 * records of the newest versions; records no honest process publishes are refused.
 */
class FleetOrderTest {
    @TempDir
    Path dir;

    @Test
    void swapsMadeAtOnceOnTwoFollowersEndWithEveryProcessOnTheLastRecordsVersion() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TopicAdmin.ensureTopics(config(kafka, "trainer"), Duration.ofSeconds(30));
            DrafterVersions trainer = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions a = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions b = new DrafterVersions(Adapter.zero(4, 8));
            try (FleetUpdates t = numbering(config(kafka, "trainer"), trainer);
                 FleetUpdates followerA = new FleetUpdates(config(kafka, "a"), DRAFTER, a);
                 FleetUpdates followerB = new FleetUpdates(config(kafka, "b"), DRAFTER, b)) {
                for (int seed = 3; seed <= 5; seed++) {
                    DrafterVersion v = trainer.create(AdapterTrainer.initial(4, 8, seed), trainer.current().id(),
                            Map.of());
                    trainer.activate(v);
                    t.publish(v);
                }
                await(() -> a.current().id() == 4 && b.current().id() == 4, "both followers serve version 4");

                // both operators swap before either announcement is on the topic: the announcements cross
                DrafterVersion two = a.find(2).orElseThrow();
                DrafterVersion three = b.find(3).orElseThrow();
                a.activate(two);
                b.activate(three);
                followerA.changed(two, DrafterUpdate.Kind.SWAP);
                followerB.changed(three, DrafterUpdate.Kind.SWAP); // the last record: version 3

                await(() -> a.current().id() == 3 && b.current().id() == 3 && trainer.current().id() == 3,
                        "every process ends on version 3");
                Thread.sleep(1000);
                assertThat(List.of(a.current().id(), b.current().id(), trainer.current().id()))
                        .as("and stays there").containsOnly(3L);
                assertThat(followerA.rejected().values()).allMatch(n -> n == 0);
                assertThat(followerB.rejected().values()).allMatch(n -> n == 0);
            }
        }
    }

    @Test
    void aProcessesOwnEarlierRecordReadBackAfterItChangedTheDrafterAgainDoesNotFlipItBack() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TopicAdmin.ensureTopics(config(kafka, "trainer"), Duration.ofSeconds(30));
            DrafterVersions trainer = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions b = new DrafterVersions(Adapter.zero(4, 8));
            try (FleetUpdates t = numbering(config(kafka, "trainer"), trainer);
                 FleetUpdates followerB = new FleetUpdates(config(kafka, "b"), DRAFTER, b);
                 DrafterUpdateChannel late = new DrafterUpdateChannel(config(kafka, "late"), (k, u) -> { })) {
                DrafterVersion v2 = trainer.create(AdapterTrainer.initial(4, 8, 3), 1, Map.of());
                trainer.activate(v2);
                t.publish(v2);
                await(() -> b.current().id() == 2, "the follower serves version 2");

                // the next update is current here and its record not yet published when the trainer reads back a
                // record of its own for version 2 (as its first one would be, read late)
                DrafterVersion v3 = trainer.create(AdapterTrainer.initial(4, 8, 4), 2, Map.of());
                trainer.activate(v3);
                Adapter w = v2.adapter();
                late.publish(DRAFTER, new DrafterUpdate(2, 1, 4, 8, w.a(), w.b(), FleetRecord.metrics(v2),
                        DrafterUpdate.Kind.UPDATE, t.self()));
                await(() -> b.current().id() == 2 && trainer.find(2).isPresent(), "the late record read");
                Thread.sleep(1000);
                assertThat(trainer.current().id()).as("the later change made here stays current").isEqualTo(3);

                t.publish(v3);
                await(() -> b.current().id() == 3, "and wins everywhere once published");
                assertThat(trainer.current().id()).isEqualTo(3);
            }
        }
    }

    @Test
    void anOperatorSwapCrossingTheTrainersPublishEndsEverywhereOnWhicheverRecordIsLast() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TopicAdmin.ensureTopics(config(kafka, "trainer"), Duration.ofSeconds(30));
            DrafterVersions trainer = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions b = new DrafterVersions(Adapter.zero(4, 8));
            try (FleetUpdates t = numbering(config(kafka, "trainer"), trainer);
                 FleetUpdates followerB = new FleetUpdates(config(kafka, "b"), DRAFTER, b)) {
                DrafterVersion v2 = trainer.create(AdapterTrainer.initial(4, 8, 3), 1, Map.of());
                trainer.activate(v2);
                t.publish(v2);
                await(() -> b.current().id() == 2, "the follower serves version 2");

                DrafterVersion one = b.bundled();
                b.activate(one); // the operator's swap to 1 ...
                DrafterVersion v3 = trainer.create(AdapterTrainer.initial(4, 8, 4), 2, Map.of());
                trainer.activate(v3);
                t.publish(v3); // ... crosses the trainer's version 3 ...
                followerB.changed(one, DrafterUpdate.Kind.SWAP); // ... and is announced last

                await(() -> b.current().id() == 1 && trainer.current().id() == 1,
                        "both end on version 1, the last record's");

                DrafterVersion v4 = trainer.create(AdapterTrainer.initial(4, 8, 5), 1, Map.of());
                trainer.activate(v4);
                t.publish(v4);
                await(() -> b.current().id() == 4, "a later trainer version wins over the swap in turn");
                assertThat(v4.id()).as("numbered above every id, the crossed version 3 included").isEqualTo(4);
            }
        }
    }

    @Test
    void aTrainerRestartedOnACompactedTopicNumbersAboveTheVersionsCompactionRemoved() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig before = config(kafka, "trainer");
            TopicAdmin.ensureTopics(before, Duration.ofSeconds(30));
            DrafterVersions first = new DrafterVersions(Adapter.zero(4, 8));
            DrafterVersions replica = new DrafterVersions(Adapter.zero(4, 8));
            try (FleetUpdates t = numbering(before, first);
                 FleetUpdates follower = new FleetUpdates(config(kafka, "replica"), DRAFTER, replica)) {
                for (int seed = 3; seed <= 6; seed++) { // versions 2..5
                    DrafterVersion v = first.create(AdapterTrainer.initial(4, 8, seed), first.current().id(),
                            Map.of());
                    first.activate(v);
                    t.publish(v);
                }
                first.activate(first.find(3).orElseThrow());
                t.changed(first.current(), DrafterUpdate.Kind.SWAP); // the drafter's last record: a swap back to 3
                await(() -> replica.current().id() == 3, "the replica knows versions 2..5 and serves 3");
            }

            // compaction keeps the last record of each key; the restarted trainer and the replica read only those
            TelemetryConfig after = before.toBuilder().updatesTopic("specserve.drafter-updates.compacted").build();
            TopicAdmin.ensureTopics(after, Duration.ofSeconds(30));
            Map<String, DrafterUpdate> survivors = lastPerKey(before);
            assertThat(survivors.get(DRAFTER).version()).isEqualTo(3);
            try (DrafterUpdateChannel out = new DrafterUpdateChannel(after, (k, u) -> { })) {
                survivors.forEach(out::publish);
            }
            DrafterVersions restarted = new DrafterVersions(Adapter.zero(4, 8));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (FleetUpdates t = numbering(after, restarted);
                 FleetUpdates follower = new FleetUpdates(after.toBuilder().replicaId("replica").build(), DRAFTER,
                         replica, registry)) {
                assertThat(t.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
                assertThat(restarted.current().id()).isEqualTo(3);

                DrafterVersion next = restarted.create(AdapterTrainer.initial(4, 8, 9), 3, Map.of());
                assertThat(next.id()).as("above version 5, whose record compaction removed").isEqualTo(6);
                restarted.activate(next);
                t.publish(next);
                await(() -> replica.current().id() == 6, "the replica adopts the new version");
                assertThat(replica.current().adapter().a()).containsExactly(next.adapter().a());
                assertThat(follower.rejected().get(FleetUpdates.ID_CONFLICT)).isZero();
            }
        }
    }

    @Test
    void recordsNoHonestProcessPublishesAreRefusedAsInvalidAndNeverServed() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startIn(dir.resolve("kafka"))) {
            TelemetryConfig config = config(kafka, "replica");
            TopicAdmin.ensureTopics(config, Duration.ofSeconds(30));
            DrafterVersions replica = new DrafterVersions(Adapter.zero(4, 8));
            Adapter weights = AdapterTrainer.initial(4, 8, 3);
            try (FleetUpdates follower = new FleetUpdates(config, DRAFTER, replica);
                 DrafterUpdateChannel evil = new DrafterUpdateChannel(config, (k, u) -> { })) {
                evil.publish(DRAFTER, new DrafterUpdate(902, 1, 4, 8, weights.a(), weights.b(), "not json at all",
                        DrafterUpdate.Kind.LOAD, "evil"));
                evil.publish(DRAFTER, new DrafterUpdate(903, 1, 4, 8, weights.a(), weights.b(), "{\"steps\":3}",
                        DrafterUpdate.Kind.LOAD, "evil"));
                evil.publish(DRAFTER, new DrafterUpdate(904, 1, 4, 8, weights.a(), weights.b(), "[1, 2]",
                        DrafterUpdate.Kind.UPDATE, "evil"));
                evil.publish(DRAFTER + VersionIds.KEY_SUFFIX, new DrafterUpdate(FleetUpdates.MAX_VERSION_STEP + 5, 0,
                        4, 8, weights.a(), weights.b(), "{}", DrafterUpdate.Kind.UPDATE, "evil"));
                evil.publish(DRAFTER, new DrafterUpdate(2, 1, 4, 8, weights.a(), weights.b(), "{}",
                        DrafterUpdate.Kind.UPDATE, "honest"));

                await(() -> replica.current().id() == 2, "the good record after them is applied");
                assertThat(follower.rejected().get(FleetUpdates.INVALID)).isEqualTo(3);
                assertThat(follower.rejected().get(FleetUpdates.VERSION_OUT_OF_RANGE)).isEqualTo(1);
                assertThat(replica.list()).extracting(DrafterVersion::id).containsExactly(1L, 2L);
                assertThat(replica.create(weights, 2, Map.of()).id()).as("the refused mark raised no id").isEqualTo(3);
            }
        }
    }

    private static TelemetryConfig config(EmbeddedKafka kafka, String replica) {
        return TelemetryConfig.builder(kafka.bootstrapServers()).replicaId(replica).build();
    }

    /** A process that numbers versions (the trainer), following the topic like any other. */
    private static FleetUpdates numbering(TelemetryConfig config, DrafterVersions versions) {
        return new FleetUpdates(config, DRAFTER, versions, new SimpleMeterRegistry(),
                FleetUpdates.Follow.activating(versions).numbering());
    }

    /** What compaction leaves of the updates topic: the last record of each key. */
    private static Map<String, DrafterUpdate> lastPerKey(TelemetryConfig config) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        Map<String, DrafterUpdate> last = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = c.partitionsFor(config.updatesTopic()).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    last.remove(r.key());
                    last.put(r.key(), DrafterUpdate.decode(r.value()));
                }
            }
        }
        return last;
    }
}
