package dev.specserve.controller.adapt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which drafter version each replica serves, as its own round events say, so that the trainer sees the replicas
 * that did not adopt what it made current (a version they refused, or a follower cut off from the updates topic).
 * A replica is behind when a round it served more than {@code graceMs} after the trainer's current version became
 * current was drafted by another version. A replica that serves nothing is not judged.
 */
final class ReplicaVersions {
    /** How long after a version became current a replica may still serve another before it counts as behind. */
    static final java.time.Duration GRACE = java.time.Duration.ofSeconds(30);
    /** How long a replica that sends no rounds is remembered. */
    static final java.time.Duration FORGET = java.time.Duration.ofMinutes(5);
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FleetTrainer.class);

    /** A replica behind the trainer: the version its latest round was drafted by, and when that round ran. */
    record Behind(String replica, long serving, long current, long roundMs) {
        void warn() {
            LOG.warn("replica {} still serves drafter version {} ({} s ago), not the fleet's version {}: it refused it "
                    + "(its log and specserve_drafter_updates_rejected_total say why), it cannot read the updates "
                    + "topic, or the version is not on it yet (specserve_drafter_updates_unannounced here is 1)", replica, serving, Math.max(0, (System.currentTimeMillis() - roundMs) / 1000), current);
        }
    }

    /** Gauges {@code behind}, the count of replicas behind the trainer, as {@code specserve_trainer_replicas_behind}. */
    static void gauge(io.micrometer.core.instrument.MeterRegistry registry, String drafterId,
                      java.util.function.IntSupplier behind) {
        io.micrometer.core.instrument.Gauge.builder("specserve.trainer.replicas_behind", behind, b -> b.getAsInt())
                .strongReference(true) // the supplier is held by nothing else
                .description("Replicas whose rounds, over " + GRACE.toSeconds() + " s after the trainer's current "
                        + "drafter version became current, are drafted by another version (refused it, or cut off "
                        + "from the updates topic)")
                .tag("drafter", drafterId).register(registry);
    }

    private record Latest(long version, long roundMs) {}

    private final long graceMs;
    private final Map<String, Latest> latest = new TreeMap<>();
    private long current = Long.MIN_VALUE;
    private long currentSinceMs;

    ReplicaVersions(long graceMs) {
        this.graceMs = graceMs;
    }

    /** The trainer's current version at {@code nowMs} (its clock); a change restarts the grace period. */
    synchronized void current(long version, long nowMs) {
        if (version != current) {
            current = version;
            currentSinceMs = nowMs;
        }
    }

    /** A round {@code replica} served at {@code roundMs} (its clock) with drafter version {@code version}. */
    synchronized void served(String replica, long version, long roundMs) {
        Latest l = latest.get(replica);
        if (l == null || roundMs >= l.roundMs()) {
            latest.put(replica, new Latest(version, roundMs));
        }
    }

    /** The version each replica's latest round was drafted by. */
    synchronized Map<String, Long> serving() {
        Map<String, Long> out = new TreeMap<>();
        latest.forEach((replica, l) -> out.put(replica, l.version()));
        return out;
    }

    /**
     * The replicas behind the current version, by replica id; a replica whose latest round is over
     * {@link #FORGET} old by {@code nowMs} (it stopped, or was restarted under another id) is forgotten.
     */
    synchronized List<Behind> behind(long nowMs) {
        latest.values().removeIf(l -> l.roundMs() < nowMs - FORGET.toMillis());
        List<Behind> out = new ArrayList<>();
        latest.forEach((replica, l) -> {
            if (l.version() != current && l.roundMs() > currentSinceMs + graceMs) {
                out.add(new Behind(replica, l.version(), current, l.roundMs()));
            }
        });
        return out;
    }
}
