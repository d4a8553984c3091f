package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Replicas that join one cluster share specserve.generate, so one serving another model answers a share of every
 * client's requests with it (or 404s): each replica sees what the other members serve, counts and logs it.
 */
class ClusterServedModelsTest {
    @Test
    void a_replica_serving_another_model_in_the_same_cluster_is_seen_by_both_sides() throws Exception {
        String name = "specserve-models-" + UUID.randomUUID();
        int pa = ClusteredEventBusTest.freePort();
        int pb = ClusteredEventBusTest.freePort();
        List<String> members = List.of("127.0.0.1:" + pa, "127.0.0.1:" + pb);
        Map<String, String> bs = new HashMap<>(ClusteredEventBusTest.settings(name, pb, members, "1"));
        bs.put("served_model_name", "another-model");
        try (TestServer a = TestServer.start(ClusteredEventBusTest.settings(name, pa, members, "1"));
             TestServer b = TestServer.start(bs)) {
            TestServer.awaitCondition(() -> !b.server.clusterModels().othersServing().isEmpty(), Duration.ofSeconds(30),
                    "replica b sees that a serves another model");
            a.server.clusterModels().refresh().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

            assertThat(b.server.clusterModels().othersServing()).hasSize(1).allSatisfy((node, what) ->
                    assertThat(what).contains(a.engine.modelName()).doesNotContain("another-model"));
            assertThat(a.server.clusterModels().othersServing()).hasSize(1)
                    .allSatisfy((node, what) -> assertThat(what).contains("another-model"));
            assertThat(b.metric("specserve_cluster_members_serving_other_models")).isEqualTo(1.0);
        }
    }
}
