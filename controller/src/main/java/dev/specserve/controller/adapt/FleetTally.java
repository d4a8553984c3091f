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
    /** Replicas not heard from for {@link ReplicaVersions#FORGET}, their counts summed: ids change on every restart. */
    static final String EARLIER = "(earlier replicas)";
    private static final int REMEMBERED_REQUESTS = 50_000;

    /** Rounds and samples seen from one replica. */
    record Counts(long rounds, long samples) {}

    private final FeedbackListener loop;
    private final String drafterId;
    private final ReplicaVersions versions;
    private final java.util.function.LongSupplier current;
    private final Map<String, Counts> byReplica = new TreeMap<>();
    private final Map<String, Long> lastSeenMs = new java.util.HashMap<>();
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
            lastSeenMs.put(e.replicaId(), System.currentTimeMillis());
        }
        // 0: a round no drafter forward drafted; one stamped far ahead (a replica clock's glitch) would stand as the
        // replica's latest until this clock reached it, so the loop's own rule leaves it out here too
        if (drafterId.equals(e.drafterId()) && e.drafterVersion() != 0
                && e.timestampMs() - System.currentTimeMillis() <= RoundChecks.MAX_CLOCK_SKEW_MS) {
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
            if (!replica.equals(UNKNOWN)) {
                lastSeenMs.putIfAbsent(replica, System.currentTimeMillis()); // one summed away since its rounds
            }
        }
        loop.onSample(s);
    }

    /**
     * What each replica sent so far, by replica id; replicas silent for {@link ReplicaVersions#FORGET} are summed
     * under {@value #EARLIER}, so the map (and the progress line that prints it) stays the size of the fleet.
     */
    synchronized Map<String, Counts> byReplica() {
        return byReplica(System.currentTimeMillis());
    }

    synchronized Map<String, Counts> byReplica(long nowMs) {
        long forgetBefore = nowMs - ReplicaVersions.FORGET.toMillis();
        for (var it = lastSeenMs.entrySet().iterator(); it.hasNext(); ) {
            var seen = it.next();
            if (seen.getValue() < forgetBefore) {
                it.remove();
                Counts gone = byReplica.remove(seen.getKey());
                Counts sum = byReplica.getOrDefault(EARLIER, new Counts(0, 0));
                byReplica.put(EARLIER, new Counts(sum.rounds() + gone.rounds(), sum.samples() + gone.samples()));
            }
        }
        return Map.copyOf(byReplica);
    }
}
