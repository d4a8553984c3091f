package dev.specserve.controller.adapt;

import dev.specserve.drafters.DrafterVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Operator loads of a new drafter file on a replica that follows the fleet. Such a replica must not number a
 * version itself: the trainer numbers every version, and two processes numbering at once can give one id to
 * different weights. So the replica publishes a request under the drafter's request key ({@link #KEY_SUFFIX}, a
 * key of its own so compaction never lets a request stand in for the drafter's state) and waits until a version of
 * that file is current here, which happens when the trainer has loaded it, numbered it and published it like
 * any other version. Waiters are keyed by the file's sha256.
 */
final class LoadRequests {
    /** Appended to the drafter id to form the key requests are published under. */
    static final String KEY_SUFFIX = "/load-requests";

    private final Map<String, CompletableFuture<DrafterVersion>> waiting = new ConcurrentHashMap<>();

    /** Registers interest in the file with this sha256 before the request goes out. */
    CompletableFuture<DrafterVersion> expect(String sha256) {
        return waiting.computeIfAbsent(sha256, k -> new CompletableFuture<>());
    }

    /** A version became current here: whoever waits for its file gets it. */
    void served(DrafterVersion current) {
        CompletableFuture<DrafterVersion> f = waiting.remove(current.model().fingerprint());
        if (f != null) {
            f.complete(current);
        }
    }

    /**
     * Waits for the requested file's version; on timeout nothing has changed here, the request is forgotten, and
     * {@link TrainerDidNotLoad} says so.
     */
    DrafterVersion await(CompletableFuture<DrafterVersion> served, String sha256, Path path, Duration timeout) {
        try {
            return served.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            waiting.remove(sha256, served);
            throw new TrainerDidNotLoad(path, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the trainer to load " + path, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }
}
