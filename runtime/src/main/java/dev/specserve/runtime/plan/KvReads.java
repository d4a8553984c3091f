package dev.specserve.runtime.plan;

import java.util.List;

/**
 * The KV rows a verification forward reads, as the target will run it: what the planner prices per round. One
 * sequence reads its own past; a padded batched forward reads the pool's stride for every sequence; a ragged
 * one (each sequence over its own rows) reads the sum of their pasts.
 */
@FunctionalInterface
public interface KvReads {
    /** Each sequence over its own past, padded to the longest: a single sequence, or sequences run one by one. */
    KvReads OWN_PASTS = (batch, widest) -> batch.size() * longest(batch);

    /** Rows read when {@code batch} verifies trees padded to {@code widest} nodes each (0: plain steps). */
    long rows(List<? extends PlannedSequence> batch, int widest);

    /** A batched forward in which every sequence attends over {@code columns} rows, the pool's stride. */
    static KvReads padded(int columns) {
        return (batch, widest) -> (long) batch.size() * columns;
    }

    /** {@code padded} for trees, but plain steps (no sequence verifies a node) read only each sequence's own rows. */
    static KvReads raggedPlainSteps(int columns) {
        return (batch, widest) -> widest == 0 ? sum(batch) : (long) batch.size() * columns;
    }

    private static int longest(List<? extends PlannedSequence> batch) {
        int past = 0;
        for (PlannedSequence s : batch) {
            past = Math.max(past, s.pastLength());
        }
        return past;
    }

    private static long sum(List<? extends PlannedSequence> batch) {
        long rows = 0;
        for (PlannedSequence s : batch) {
            rows += s.pastLength();
        }
        return rows;
    }
}
