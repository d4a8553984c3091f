package dev.specserve.runtime.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.ort.InputArena;
import dev.specserve.runtime.ort.OutputArena;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How the target's tensors move in and out of ORT: each thread's reusable input buffers, its pinned output
 * buffers, and the {@link TargetOutput} read back from them (logits and hidden states copied, present rows
 * viewed in place until the thread's next forward).
 */
final class TargetIo {
    private record Arenas(InputArena inputs, OutputArena outputs) {}

    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelManifest.TargetInfo info;
    private final int presentCount;
    private final boolean hasHidden;
    private final ThreadLocal<Arenas> arenas;

    TargetIo(OrtEnvironment env, OrtSession session, ModelManifest.TargetInfo info, String[] presentNames,
             boolean hasHidden) {
        this.env = env;
        this.session = session;
        this.info = info;
        this.presentCount = presentNames.length;
        this.hasHidden = hasHidden;
        List<OutputArena.Output> outputs = new ArrayList<>();
        outputs.add(new OutputArena.Output("logits", new long[] {info.vocab()}));
        if (hasHidden) {
            outputs.add(new OutputArena.Output("last_hidden_state", new long[] {info.dim()}));
        }
        for (String name : presentNames) {
            outputs.add(new OutputArena.Output(name, new long[] {info.kvHeads(), info.headDim()}));
        }
        this.arenas = ThreadLocal.withInitial(() -> new Arenas(new InputArena(), new OutputArena(outputs)));
    }

    /** Drops this thread's buffers (other threads' go with this object: their entries are weakly keyed). */
    void release() {
        arenas.remove();
    }

    /** This thread's input buffers. */
    InputArena inputs() {
        return arenas.get().inputs();
    }

    /**
     * Runs the session with its outputs written into this thread's buffers, except each present that
     * {@code inPlace} binds elsewhere (the ragged graph's: its past, which it writes the new rows into; then
     * {@link #present} gives the buffers to copy those rows to), and with logits for {@code logitRows} rows per
     * sequence (the ragged graph computes them for a prefill chunk's last rows only); returns the nanoseconds
     * inside ORT.
     */
    long run(Map<String, OnnxTensor> inputs, int batch, int seq, int logitRows, Map<String, OnnxTensor> inPlace)
            throws OrtException {
        OutputArena arena = arenas.get().outputs();
        Map<String, OnnxTensor> pinned = inPlace.isEmpty() ? arena.pin(env, batch, seq)
                : arena.pin(env, batch, seq, hasHidden ? 2 : 1);
        try {
            if (logitRows != seq) {
                pinned.put("logits", arena.pinOne(env, 0, batch, logitRows)).close();
            }
            Map<String, OnnxTensor> bound = new java.util.HashMap<>(pinned);
            bound.putAll(inPlace);
            long t0 = System.nanoTime();
            session.run(inputs, bound).close();
            return System.nanoTime() - t0;
        } finally {
            pinned.values().forEach(OnnxTensor::close);
        }
    }

    /** Present tensor {@code i}'s buffer for rows [fromRow, fromRow + rows) of the last run, [rows][heads][headDim]. */
    FloatBuffer present(int i, int fromRow, int rows) {
        return arenas.get().outputs().view((hasHidden ? 2 : 1) + i, fromRow, rows);
    }

    /** Rows [fromRow, fromRow + rows) of the last run (row = b * seq + s), with the last {@code logitRows} rows' logits. */
    TargetOutput output(int fromRow, int rows, int logitRows, long runNanos) {
        return output(fromRow, rows, logitRows, fromRow + rows - logitRows, runNanos);
    }

    /** As {@link #output(int, int, int, long)}, with the kept logits from row {@code logitsRow} of the logits output. */
    TargetOutput output(int fromRow, int rows, int logitRows, int logitsRow, long runNanos) {
        OutputArena out = arenas.get().outputs();
        float[] hidden = hasHidden ? out.copy(1, fromRow, rows) : new float[rows * info.dim()];
        FloatBuffer[] present = new FloatBuffer[presentCount];
        int first = hasHidden ? 2 : 1;
        for (int i = 0; i < present.length; i++) {
            present[i] = out.view(first + i, fromRow, rows);
        }
        int keepFrom = rows - logitRows;
        return new TargetOutput(rows, info.vocab(), info.dim(), keepFrom, out.copy(0, logitsRow, logitRows),
                hidden, present, runNanos);
    }
}
