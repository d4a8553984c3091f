package dev.specserve.runtime.ort;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens ORT sessions on the configured device. CUDA is detected by trying it, never by
 * {@code getAvailableProviders()}, which lists CUDA even where the libraries or the GPU are missing.
 */
public final class SessionFactory {
    private static final Logger LOG = LoggerFactory.getLogger(SessionFactory.class);
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final ExecutionDevice requested;
    private final int intraOpThreads;
    private final int wideThreads;
    private final boolean spinning = "1".equals(System.getenv().getOrDefault("SPECSERVE_ORT_SPIN",
            System.getProperty("specserve.ort.spin", "0")));
    private final boolean cpuArena = !"0".equals(System.getenv().getOrDefault("SPECSERVE_ORT_ARENA",
            System.getProperty("specserve.ort.arena", "1")));
    /** SPECSERVE_ORT_PROFILE=PREFIX: ORT writes a per-operator profile, PREFIX_&lt;model&gt;_&lt;time&gt;.json, as each session closes. */
    private final String profilePrefix = System.getenv("SPECSERVE_ORT_PROFILE");
    private volatile ExecutionDevice resolved;

    public SessionFactory(ExecutionDevice requested, int intraOpThreads) {
        this(requested, intraOpThreads, intraOpThreads);
    }

    /**
     * @param wideThreads intra-op threads for sessions that run wide forwards only (prefill chunks), whose large
     *                    products a second core speeds up where a decode step's small ones only wait on it
     */
    public SessionFactory(ExecutionDevice requested, int intraOpThreads, int wideThreads) {
        this.requested = requested;
        this.intraOpThreads = intraOpThreads;
        this.wideThreads = Math.max(intraOpThreads, wideThreads);
    }

    /** Whether wide forwards get a session with more threads than the others ({@link #openWide}). */
    public boolean hasWideSessions() {
        return wideThreads > intraOpThreads && device() == ExecutionDevice.CPU;
    }

    public int wideThreads() {
        return wideThreads;
    }

    public OrtEnvironment environment() {
        return env;
    }

    /** The device sessions actually run on; known after the first {@link #open}. */
    public ExecutionDevice device() {
        return resolved == null ? requested : resolved;
    }

    public OrtSession open(Path model) {
        return open(model, intraOpThreads);
    }

    /** {@code model} in a session with {@link #wideThreads} intra-op threads, for wide forwards; CPU only. */
    public OrtSession openWide(Path model) {
        if (!hasWideSessions()) {
            throw new IllegalStateException("no wide sessions: " + wideThreads + " threads, device " + device());
        }
        return open(model, wideThreads);
    }

    private OrtSession open(Path model, int threads) {
        if (requested != ExecutionDevice.CPU && resolved != ExecutionDevice.CPU) {
            try {
                OrtSession s = env.createSession(model.toString(), options(true, model, threads));
                announce(ExecutionDevice.CUDA, null);
                return s;
            } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
                if (requested == ExecutionDevice.CUDA) {
                    throw new IllegalStateException("device=cuda was requested but the CUDA execution provider "
                            + "could not start: " + e.getMessage(), e);
                }
                announce(ExecutionDevice.CPU, e.getMessage());
            }
        }
        try {
            OrtSession s = env.createSession(model.toString(), options(false, model, threads));
            announce(ExecutionDevice.CPU, null);
            return s;
        } catch (OrtException e) {
            throw new IllegalStateException("cannot open ONNX model " + model + ": " + e.getMessage(), e);
        }
    }

    private OrtSession.SessionOptions options(boolean cuda, Path model, int threads) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        // The target and drafter sessions alternate on few cores: a pool that keeps spinning after its call
        // steals the CPU the other session needs next. Spinning is off unless SPECSERVE_ORT_SPIN=1.
        o.addConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
        if (!cpuArena) {
            o.setCPUArenaAllocator(false);
        }
        if (cuda) {
            o.addCUDA(0);
        }
        if (profilePrefix != null && !profilePrefix.isBlank()) {
            String name = model.getFileName().toString().replace(".onnx", "");
            o.enableProfiling(profilePrefix + "_" + name);
            LOG.info("ONNX Runtime profiling {} to {}_{}_*.json (SPECSERVE_ORT_PROFILE)", name, profilePrefix, name);
        }
        return o;
    }

    private void announce(ExecutionDevice device, String fallbackReason) {
        resolved = device;
        if (LOGGED.compareAndSet(false, true)) {
            if (fallbackReason != null) {
                LOG.info("execution provider: CPU, intra-op threads: {} (device={} and CUDA is unavailable: {})",
                        intraOpThreads, requested.name().toLowerCase(), firstLine(fallbackReason));
            } else {
                LOG.info("execution provider: {}, intra-op threads: {}", device, intraOpThreads);
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
