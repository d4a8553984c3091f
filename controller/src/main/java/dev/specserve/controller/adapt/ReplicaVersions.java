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
    /** A replica behind the trainer: the version its latest round was drafted by, and when that round ran. */
    record Behind(String replica, long serving, long current, long roundMs) {}

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

    /** The replicas behind the current version, by replica id. */
    synchronized List<Behind> behind() {
        List<Behind> out = new ArrayList<>();
        latest.forEach((replica, l) -> {
            if (l.version() != current && l.roundMs() > currentSinceMs + graceMs) {
                out.add(new Behind(replica, l.version(), current, l.roundMs()));
            }
        });
        return out;
    }
}
