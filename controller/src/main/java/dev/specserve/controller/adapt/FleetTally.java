package dev.specserve.controller.adapt;

import dev.specserve.telemetry.FeedbackListener;
import dev.specserve.telemetry.RoundEvent;
import dev.specserve.telemetry.TrainingSample;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Passes the fleet's feedback on to the trainer's loop and counts it by replica: round events name their replica,
 * and a sample is credited to the replica whose rounds carried its request ({@value #UNKNOWN} when its rounds
 * have not arrived, or were too long ago to remember). Rounds also tell which version each replica serves
 * ({@link ReplicaVersions}).
 */
final class FleetTally implements FeedbackListener {
    static final String UNKNOWN = "(unknown)";
    private static final int REMEMBERED_REQUESTS = 50_000;

    /** Rounds and samples seen from one replica. */
    record Counts(long rounds, long samples) {}

    private final FeedbackListener loop;
    private final ReplicaVersions versions;
    private final java.util.function.LongSupplier current;
    private final Map<String, Counts> byReplica = new TreeMap<>();
    private final Map<String, String> replicaOfRequest = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED_REQUESTS;
        }
    };

    /** {@code current} is the trainer's current drafter version, which {@code versions} judges replicas against. */
    FleetTally(FeedbackListener loop, ReplicaVersions versions, java.util.function.LongSupplier current) {
        this.loop = loop;
        this.versions = versions;
        this.current = current;
    }

    @Override
    public void onRound(RoundEvent e) {
        synchronized (this) {
            replicaOfRequest.put(e.requestId(), e.replicaId());
            Counts c = byReplica.getOrDefault(e.replicaId(), new Counts(0, 0));
            byReplica.put(e.replicaId(), new Counts(c.rounds() + 1, c.samples()));
        }
        versions.current(current.getAsLong(), System.currentTimeMillis());
        versions.served(e.replicaId(), e.drafterVersion(), e.timestampMs());
        loop.onRound(e);
    }

    @Override
    public void onSample(TrainingSample s) {
        synchronized (this) {
            String replica = replicaOfRequest.getOrDefault(s.requestId(), UNKNOWN);
            Counts c = byReplica.getOrDefault(replica, new Counts(0, 0));
            byReplica.put(replica, new Counts(c.rounds(), c.samples() + 1));
        }
        loop.onSample(s);
    }

    /** What each replica sent so far, by replica id. */
    synchronized Map<String, Counts> byReplica() {
        return Map.copyOf(byReplica);
    }
}
