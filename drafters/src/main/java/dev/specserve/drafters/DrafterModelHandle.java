package dev.specserve.drafters;

import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One drafter ONNX session, shared by every version built on it and leased by every sequence whose KV
 * cache came from it. The current version holds a lease too, so the session is closed exactly when it is
 * neither current nor used by any sequence. A closed handle reopens on the next {@link #acquire()} (a
 * rollback to an older drafter file).
 */
public final class DrafterModelHandle {
    private static final Logger LOG = LoggerFactory.getLogger(DrafterModelHandle.class);

    private final long generation;
    private final String source;
    private final String fingerprint;
    private final String adapterBase;
    private final Supplier<SpecBlockModel> opener;
    private SpecBlockModel model;
    private int leases;
    private long opens;

    /**
     * @param fingerprint the ONNX file's sha256: adapter versions from other replicas are only valid for the same file
     */
    public DrafterModelHandle(long generation, String source, String fingerprint, SpecBlockModel opened,
                              Supplier<SpecBlockModel> opener) {
        this(generation, source, fingerprint, fingerprint, opened, opener);
    }

    /**
     * @param fingerprint the sha256 of the ONNX file this session was opened from (what a load of a file compares)
     * @param adapterBase the sha256 adapters for this session are trained against: its own file's, or for the
     *                    int8 file of the bundled drafter its full-precision file's (the same network, quantised, so
     *                    replicas serving either precision share adapter versions)
     */
    public DrafterModelHandle(long generation, String source, String fingerprint, String adapterBase,
                              SpecBlockModel opened, Supplier<SpecBlockModel> opener) {
        this.generation = generation;
        this.source = source;
        this.fingerprint = fingerprint;
        this.adapterBase = adapterBase;
        this.opener = opener;
        this.model = opened;
        this.opens = opened == null ? 0 : 1;
    }

    /** A handle with no session, for versions that are trained and compared but never drafted with. */
    public static DrafterModelHandle detached() {
        return new DrafterModelHandle(0, "detached", "detached", null, () -> null);
    }

    public long generation() {
        return generation;
    }

    /** Where the session's weights came from (the ONNX file). */
    public String source() {
        return source;
    }

    /** The sha256 of the ONNX file this session was opened from. */
    public String fingerprint() {
        return fingerprint;
    }

    /** The sha256 an adapter for this session is valid for (see the constructor). */
    public String adapterBase() {
        return adapterBase;
    }

    /** Takes a lease, opening the session if it was closed (a detached handle has none to open). */
    public synchronized SpecBlockModel acquire() {
        if (model == null) {
            model = opener.get();
            if (model != null) {
                LOG.info("opened drafter generation {} from {}", generation, source);
                opens++;
            }
        }
        leases++;
        return model;
    }

    /** Takes a lease only if the session is open: a sequence never reopens a session that was retired. */
    public synchronized boolean tryAcquire() {
        if (model == null) {
            return false;
        }
        leases++;
        return true;
    }

    public synchronized void release() {
        if (leases <= 0) {
            throw new IllegalStateException("drafter generation " + generation + " released more often than acquired");
        }
        if (--leases == 0 && model != null) {
            model.close();
            model = null;
            LOG.info("closed drafter generation {} ({}): no version or sequence uses it", generation, source);
        }
    }

    /** The open session; only valid while the caller holds a lease. */
    public synchronized SpecBlockModel model() {
        if (model == null) {
            throw new IllegalStateException("drafter generation " + generation + " is closed");
        }
        return model;
    }

    public synchronized boolean isOpen() {
        return model != null;
    }

    public synchronized int leases() {
        return leases;
    }

    /** How many times a session was opened for this handle (1 unless a rollback reopened it). */
    public synchronized long opens() {
        return opens;
    }

    /**
     * Closes the session if nothing holds a lease: a drafter file loaded but not made current (it reopens when a
     * swap makes it current) would otherwise keep a whole session in memory for the life of the process.
     */
    public synchronized void closeIfUnused() {
        if (leases == 0 && model != null) {
            model.close();
            model = null;
            LOG.info("closed drafter generation {} ({}) until a version using it is made current", generation, source);
        }
    }

    /** Closes the session regardless of leases (process shutdown). */
    synchronized void forceClose() {
        if (model != null) {
            model.close();
            model = null;
        }
    }
}
