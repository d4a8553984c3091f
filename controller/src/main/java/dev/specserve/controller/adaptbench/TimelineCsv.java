package dev.specserve.controller.adaptbench;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** A {@link Timeline} as CSV: every round and event, one per row, in time order. */
public final class TimelineCsv {
    private TimelineCsv() {}

    /**
     * Writes every event in time order: {@code round} rows carry phase, tokens, version, tree nodes and where
     * the round's time went, {@code swap} and {@code rollback} rows the version switched to, {@code update} rows
     * when training started.
     */
    public static void write(Timeline timeline, Path file) throws IOException {
        record Row(double seconds, String rest) {}
        List<Row> rows = new ArrayList<>();
        timeline.rounds().forEach(r -> rows.add(new Row(r.seconds(), "round," + r.phase() + "," + r.tokens() + ","
                + r.version() + ",," + r.nodes() + "," + ms(r.draftMs()) + "," + ms(r.verifyMs()))));
        timeline.updates().forEach(u -> rows.add(new Row(u.finished(), "update,,,," + seconds(u.started()) + ",,,")));
        timeline.swaps().forEach(c -> rows.add(new Row(c.seconds(), "swap,,," + c.to() + ",,,,")));
        timeline.rollbacks().forEach(c -> rows.add(new Row(c.seconds(), "rollback,,," + c.to() + ",,,,")));
        rows.sort(Comparator.comparingDouble(Row::seconds)); // stable: a swap stays after the round that shows it
        try (Writer w = Files.newBufferedWriter(file)) {
            w.write("seconds,event,phase,tokens,version,training_started_s,nodes,draft_ms,verify_ms\n");
            for (Row row : rows) {
                w.write(seconds(row.seconds()) + "," + row.rest() + "\n");
            }
        }
    }

    private static String ms(double ms) {
        return Double.isNaN(ms) ? "" : String.format(Locale.ROOT, "%.3f", ms);
    }

    private static String seconds(double seconds) {
        return String.format(Locale.ROOT, "%.4f", seconds);
    }
}
