package dev.specserve.controller.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks on the files a command writes, made before it runs: a typo in an output path must fail at once, naming the
 * flag, not after a benchmark of many minutes.
 */
final class OutputFiles {
    private OutputFiles() {}

    /** Refuses {@code path} (given by {@code flag}) unless a file can be created or replaced there; null passes. */
    static void checkWritable(String flag, Path path) {
        if (path == null) {
            return;
        }
        if (Files.isDirectory(path)) {
            throw new IllegalArgumentException(flag + " " + path + " is a directory; give a file name");
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(flag + " " + path + ": directory " + parent + " does not exist");
        }
        if (!Files.isWritable(parent) || Files.exists(path) && !Files.isWritable(path)) {
            throw new IllegalArgumentException(flag + " " + path + ": cannot write there (permission denied)");
        }
    }

    /** Refuses an input file given by {@code flag} that is missing or not a regular file, saying which. */
    static void checkReadable(String flag, Path path) {
        if (path == null) {
            return;
        }
        if (Files.isDirectory(path)) {
            throw new IllegalArgumentException(flag + " " + path + " is a directory, not a file");
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(flag + ": no such file: " + path);
        }
    }
}
