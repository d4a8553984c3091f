package dev.specserve.controller.cli;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM, SIGINT and SIGHUP run a command's shutdown to its end <em>before</em> the JVM starts exiting. On the JVM's own
 * handling the shutdown would run as a shutdown hook, concurrently with every other hook, and ONNX Runtime's Java
 * binding registers one that frees its native environment at once: a drain that kept the engine running forwards
 * crashed the process (SIGSEGV in the ONNX Runtime library, exit 134, every stream cut without an answer). Here the
 * engine has stopped and the sessions are closed before {@code System.exit} runs any hook. A second signal during
 * the shutdown stops the process at once, without the hooks (what a second Ctrl-C means). The command's shutdown
 * hook stays registered for every other exit path; the shutdown must be idempotent.
 */
final class TerminationSignals {
    private static final Logger LOG = LoggerFactory.getLogger(TerminationSignals.class);

    private TerminationSignals() {}

    /**
     * Installs the handlers at a command's first line, and returns where to hand them the command's shutdown once it
     * has one. A signal runs the shutdown handed over, or before that (models still loading, say) logs that the
     * command stopped while starting, then exits with 128 + the signal's number (143 for SIGTERM, 130 for SIGINT,
     * 129 for SIGHUP), which {@code status} is told first (the command's own thread returns it once the shutdown has
     * finished). A signal the process ignores (SIGHUP under nohup) stays ignored.
     * Where the JVM does not let signals be handled (-Xrs, another platform), the shutdown hook remains.
     */
    static java.util.function.Consumer<Runnable> installWhileStarting(String command, java.util.function.IntConsumer status) {
        java.util.concurrent.atomic.AtomicReference<Runnable> current = new java.util.concurrent.atomic.AtomicReference<>(
                () -> LOG.info("{} stopped while starting (loading models or connecting): nothing was served", command));
        AtomicBoolean handedOver = new AtomicBoolean();
        install(current::get, handedOver::get, status);
        return r -> {
            current.set(r);
            handedOver.set(true);
        };
    }

    /**
     * Until a shutdown is handed over, a signal ends the process with {@code halt}, skipping the JVM's hooks:
     * ONNX Runtime's hook frees its native environment while the main thread may be opening a session with it, and
     * that crashed the JVM (SIGBUS, exit 134, a crash file) on every SIGTERM 2-3 s into a start. Nothing has been
     * served or opened then that a hook would need to close.
     */
    private static void install(java.util.function.Supplier<Runnable> shutdown,
                                java.util.function.BooleanSupplier handedOver, java.util.function.IntConsumer status) {
        AtomicBoolean stopping = new AtomicBoolean();
        for (String name : List.of("TERM", "INT", "HUP")) { // HUP: the terminal or SSH session closed
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    int code = 128 + signal.getNumber();
                    if (!stopping.compareAndSet(false, true)) {
                        LOG.warn("SIG{} again while shutting down: stopping now", signal.getName());
                        Runtime.getRuntime().halt(code);
                    }
                    status.accept(code);
                    boolean starting = !handedOver.getAsBoolean();
                    Thread t = new Thread(() -> {
                        LOG.info("SIG{} received", signal.getName());
                        try {
                            shutdown.get().run();
                        } finally {
                            if (starting) {
                                Runtime.getRuntime().halt(code);
                            }
                            System.exit(code);
                        }
                    }, "specserve-signal-" + name.toLowerCase(java.util.Locale.ROOT));
                    t.start();
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                LOG.debug("SIG{} is left to the JVM's shutdown hooks: {}", name, e.toString());
            }
        }
    }
}
