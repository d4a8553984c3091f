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
    private final String drafterId;
    private final ReplicaVersions versions;
    private final java.util.function.LongSupplier current;
    private final Map<String, Counts> byReplica = new TreeMap<>();
    private final Map<String, String> replicaOfRequest = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED_REQUESTS;
        }
    };

    /**
     * {@code current} is the trainer's current version of drafter {@code drafterId}, which {@code versions} judges
     * replicas against by their rounds of that drafter that a drafter forward drafted.
     */
    FleetTally(FeedbackListener loop, String drafterId, ReplicaVersions versions,
               java.util.function.LongSupplier current) {
        this.loop = loop;
        this.drafterId = drafterId;
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
        if (drafterId.equals(e.drafterId()) && e.drafterVersion() != 0) { // 0: a round no drafter forward drafted
            versions.current(current.getAsLong(), System.currentTimeMillis());
            versions.served(e.replicaId(), e.drafterVersion(), e.timestampMs());
        }
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
