package dev.specserve.telemetry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on an embedded broker's data directory, taken before the broker opens anything there. Kafka
 * takes its own lock only once its metadata log is already open and written, so a second process on the same
 * directory changed the first one's metadata before it failed (the first could then neither stop nor restart).
 */
final class DataDirLock implements AutoCloseable {
    static final String FILE = "specserve.lock";

    /** Directories this JVM holds. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock, writing this process's pid into it; throws naming the holder's pid when another has it. */
    static DataDirLock take(Path dir) {
        Path key = dir.toAbsolutePath().normalize();
        // this JVM's own holders first: on Linux, closing any other descriptor of the file would drop the OS lock
        if (!HELD.add(key)) {
            throw inUse(dir, Long.toString(ProcessHandle.current().pid()));
        }
        Path file = dir.resolve(FILE);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                ByteBuffer holder = ByteBuffer.allocate(32);
                channel.read(holder, 0);
                throw inUse(dir, new String(holder.array(), 0, holder.position(), StandardCharsets.UTF_8).strip());
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)),
                    0);
            return new DataDirLock(key, channel, lock);
        } catch (IOException | RuntimeException e) {
            HELD.remove(key);
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            throw e instanceof IOException io ? new UncheckedIOException("cannot lock " + file, io) : (RuntimeException) e;
        }
    }

    private static IllegalStateException inUse(Path dir, String holder) {
        return new IllegalStateException(dir + " is in use by another specserve process"
                + (holder.isEmpty() ? "" : " (pid " + holder + ")") + ": an embedded broker's data directory "
                + "belongs to one process; stop that one, or give this one its own SPECSERVE_DATA");
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the process is letting go of it either way
        } finally {
            HELD.remove(key);
        }
    }
}
