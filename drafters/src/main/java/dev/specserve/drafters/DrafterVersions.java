package dev.specserve.drafters;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The drafter's version history and the version in use. A swap is one atomic reference change; sessions
 * read the current version at the start of each round, so a swap takes effect between rounds and every
 * round uses exactly one version. The current version holds a lease on its ONNX session, so a session
 * replaced by a full drafter swap closes once the last sequence drafting with it moves on.
 */
public final class DrafterVersions {
    private static final int HISTORY = 32;

    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong generations = new AtomicLong();
    private final AtomicReference<DrafterVersion> current;
    private final List<DrafterVersion> history = new ArrayList<>();

    /** Versions with no ONNX session behind them: for training and comparison only. */
    public DrafterVersions(Adapter initial) {
        this(DrafterModelHandle.detached(), initial);
    }

    public DrafterVersions(DrafterModelHandle model, Adapter initial) {
        generations.set(model.generation());
        DrafterVersion v = new DrafterVersion(ids.incrementAndGet(), 0, model, initial, Instant.now(),
                Map.of("source", "bundled", "model", model.source()));
        model.acquire();
        current = new AtomicReference<>(v);
        history.add(v);
    }

    public DrafterVersion current() {
        return current.get();
    }

    /** The generation number a newly loaded drafter file should get. */
    public long nextGeneration() {
        return generations.incrementAndGet();
    }

    /** Registers a new adapter version on the session of {@code parent} (not yet active). */
    public synchronized DrafterVersion create(Adapter adapter, long parentId, Map<String, Object> metrics) {
        DrafterModelHandle model = find(parentId).map(DrafterVersion::model).orElse(current.get().model());
        return remember(new DrafterVersion(ids.incrementAndGet(), parentId, model, adapter, Instant.now(), metrics));
    }

    /** Registers a version that drafts with a newly loaded ONNX session (a full drafter swap; not yet active). */
    public synchronized DrafterVersion createWithModel(DrafterModelHandle model, Adapter adapter, long parentId,
                                                       Map<String, Object> metrics) {
        Map<String, Object> m = new LinkedHashMap<>(metrics);
        m.put("model", model.source());
        return remember(new DrafterVersion(ids.incrementAndGet(), parentId, model, adapter, Instant.now(), m));
    }

    /** Registers a version that arrived with a known id (fleet updates); ids stay monotonic. */
    public synchronized DrafterVersion adopt(long id, long parentId, Adapter adapter, Map<String, Object> metrics) {
        ids.accumulateAndGet(id, Math::max);
        return remember(new DrafterVersion(id, parentId, current.get().model(), adapter, Instant.now(), metrics));
    }

    /** The highest id numbered or adopted here; a new version is numbered above it. */
    public long highestId() {
        return ids.get();
    }

    /**
     * Numbers later versions above {@code id}: an id another process numbered, known only by its high-water mark
     * because compaction removed the version's own record.
     */
    public void numberAbove(long id) {
        ids.accumulateAndGet(id, Math::max);
    }

    /**
     * Gives {@code v}, registered here but not current, the id another process numbered it with (a drafter file the
     * fleet published, opened here under an id of this process's own, which is then never used).
     */
    public synchronized DrafterVersion renumber(DrafterVersion v, long id, long parentId) {
        if (v == current.get() || !history.contains(v)) {
            throw new IllegalArgumentException("version " + v.id() + " is current or not registered here");
        }
        if (find(id).isPresent()) {
            throw new IllegalArgumentException("version " + id + " is registered here already");
        }
        history.remove(v);
        ids.accumulateAndGet(id, Math::max);
        return remember(new DrafterVersion(id, parentId, v.model(), v.adapter(), v.created(), v.metrics()));
    }

    /** Remembers {@code v}; past {@link #HISTORY} versions the oldest is forgotten, except the bundled one. */
    private DrafterVersion remember(DrafterVersion v) {
        history.add(v);
        if (history.size() > HISTORY) {
            // a drafter file loaded and never made current holds an open session no one else will close; one in
            // use holds a lease and stays open
            history.remove(1).model().closeIfUnused();
        }
        return v;
    }

    /** The version the drafter started with: never forgotten, so it can always be returned to. */
    public synchronized DrafterVersion bundled() {
        return history.get(0);
    }

    /** Makes {@code v} current. Its session is opened (or reopened) first, so the switch itself is one reference set. */
    public synchronized void activate(DrafterVersion v) {
        DrafterVersion old = current.get();
        if (v.sharesModelWith(old)) {
            current.set(v);
            return;
        }
        v.model().acquire();
        current.set(v);
        old.model().release();
    }

    /** Switches back to the current version's parent, if it is still in the history. */
    public synchronized Optional<DrafterVersion> rollback() {
        Optional<DrafterVersion> p = find(current.get().parentId());
        p.ifPresent(this::activate);
        return p;
    }

    public synchronized Optional<DrafterVersion> find(long id) {
        return history.stream().filter(v -> v.id() == id).findFirst();
    }

    public synchronized List<DrafterVersion> list() {
        return List.copyOf(history);
    }

    /** Every distinct session any remembered version uses (for shutdown). */
    synchronized List<DrafterModelHandle> models() {
        List<DrafterModelHandle> out = new ArrayList<>();
        for (DrafterVersion v : history) {
            if (!out.contains(v.model())) {
                out.add(v.model());
            }
        }
        if (!out.contains(current.get().model())) {
            out.add(current.get().model());
        }
        return out;
    }
}
