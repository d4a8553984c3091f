package dev.specserve.drafters;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The drafter's version history and the version in use. A swap is one atomic reference change; sessions
 * read the current version at the start of each round, so a swap takes effect between rounds and every
 * round uses exactly one version.
 */
public final class DrafterVersions {
    private static final int HISTORY = 32;

    private final AtomicLong ids = new AtomicLong();
    private final AtomicReference<DrafterVersion> current;
    private final List<DrafterVersion> history = new ArrayList<>();

    public DrafterVersions(Adapter initial) {
        DrafterVersion v = new DrafterVersion(ids.incrementAndGet(), 0, initial, Instant.now(),
                Map.of("source", "bundled"));
        current = new AtomicReference<>(v);
        history.add(v);
    }

    public DrafterVersion current() {
        return current.get();
    }

    /** Registers a new version derived from {@code parent} (not yet active). */
    public synchronized DrafterVersion create(Adapter adapter, long parentId, Map<String, Object> metrics) {
        DrafterVersion v = new DrafterVersion(ids.incrementAndGet(), parentId, adapter, Instant.now(), metrics);
        history.add(v);
        if (history.size() > HISTORY) {
            history.remove(0);
        }
        return v;
    }

    /** Registers a version that arrived with a known id (fleet updates); ids stay monotonic. */
    public synchronized DrafterVersion adopt(long id, long parentId, Adapter adapter, Map<String, Object> metrics) {
        ids.accumulateAndGet(id, Math::max);
        DrafterVersion v = new DrafterVersion(id, parentId, adapter, Instant.now(), metrics);
        history.add(v);
        if (history.size() > HISTORY) {
            history.remove(0);
        }
        return v;
    }

    public void activate(DrafterVersion v) {
        current.set(v);
    }

    /** Switches back to the current version's parent, if it is still in the history. */
    public synchronized Optional<DrafterVersion> rollback() {
        long parent = current.get().parentId();
        Optional<DrafterVersion> p = find(parent);
        p.ifPresent(current::set);
        return p;
    }

    public synchronized Optional<DrafterVersion> find(long id) {
        return history.stream().filter(v -> v.id() == id).findFirst();
    }

    public synchronized List<DrafterVersion> list() {
        return List.copyOf(history);
    }
}
