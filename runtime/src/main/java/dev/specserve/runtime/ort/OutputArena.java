package dev.specserve.runtime.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reusable direct buffers that ONNX Runtime writes a forward's outputs into (its "pinned outputs"), so
 * reading an output copies nothing ORT allocated. Reading outputs the default way ({@code getFloatBuffer})
 * copies each one into fresh native memory and then into a fresh heap buffer: for a prefill chunk's logits
 * and key/value rows, or a drafter call's many small outputs, a large share of the call (README, Performance).
 *
 * <p>Every output is shaped {@code [batch, seq, ...row]}; the buffers grow (doubling) to the largest
 * {@code batch x seq} seen. A view handed out stays valid until the next {@link #pin} on this arena. Not
 * thread-safe: give each thread its own arena.
 */
public final class OutputArena {
    /**
     * One output: its name, the shape of one (batch, seq) row, e.g. {@code {vocab}} or {@code {heads, headDim}},
     * and whether it holds int64 values (else float).
     */
    public record Output(String name, long[] rowShape, boolean int64) {
        public Output(String name, long[] rowShape) {
            this(name, rowShape, false);
        }

        int elementBytes() {
            return int64 ? Long.BYTES : Float.BYTES;
        }

        int rowElements() {
            long n = 1;
            for (long d : rowShape) {
                n *= d;
            }
            return Math.toIntExact(n);
        }
    }

    private final List<Output> outputs;
    private final ByteBuffer[] buffers;
    private final FloatBuffer[] floats; // float outputs' buffers as floats, so a view is one slice
    private int capacityRows;

    public OutputArena(List<Output> outputs) {
        this.outputs = List.copyOf(outputs);
        this.buffers = new ByteBuffer[outputs.size()];
        this.floats = new FloatBuffer[outputs.size()];
    }

    /** Tensors over this arena's buffers for a {@code batch x seq} forward, by output name; the caller closes them. */
    public Map<String, OnnxTensor> pin(OrtEnvironment env, int batch, int seq) throws OrtException {
        return pin(env, batch, seq, outputs.size());
    }

    /**
     * As {@link #pin(OrtEnvironment, int, int)}, for the first {@code count} outputs only (the rest are bound
     * elsewhere), though every buffer is sized for the forward, so the rest can be filled from where the graph
     * wrote them.
     */
    public Map<String, OnnxTensor> pin(OrtEnvironment env, int batch, int seq, int count) throws OrtException {
        int rows = Math.multiplyExact(batch, seq);
        ensure(rows);
        Map<String, OnnxTensor> pinned = new LinkedHashMap<>();
        OnnxTensor[] made = Tensors.all(count, i -> pinOne(env, i, batch, seq));
        for (int i = 0; i < made.length; i++) {
            pinned.put(outputs.get(i).name(), made[i]);
        }
        return pinned;
    }

    /**
     * A tensor over output {@code index}'s buffer shaped for a {@code batch x seq} forward (a graph may give fewer
     * rows of one output than of the others); its buffer must already hold them. The caller closes it.
     */
    public OnnxTensor pinOne(OrtEnvironment env, int index, int batch, int seq) throws OrtException {
        Output o = outputs.get(index);
        int rows = Math.multiplyExact(batch, seq);
        if (rows > capacityRows) {
            throw new IllegalArgumentException("output " + o.name() + ": " + rows + " rows exceed the arena's "
                    + capacityRows);
        }
        long[] shape = new long[2 + o.rowShape().length];
        shape[0] = batch;
        shape[1] = seq;
        System.arraycopy(o.rowShape(), 0, shape, 2, o.rowShape().length);
        return o.int64() ? OnnxTensor.createTensor(env, longView(index, 0, rows), shape)
                : OnnxTensor.createTensor(env, view(index, 0, rows), shape);
    }

    /** Output {@code index}'s values for rows {@code [fromRow, fromRow + rows)} (row = b * seq + s) of the last forward. */
    public FloatBuffer view(int index, int fromRow, int rows) {
        int rf = outputs.get(index).rowElements();
        return floats[index].duplicate().position(fromRow * rf).limit((fromRow + rows) * rf).slice();
    }

    private LongBuffer longView(int index, int fromRow, int rows) {
        return bytes(index, fromRow, rows).asLongBuffer();
    }

    private ByteBuffer bytes(int index, int fromRow, int rows) {
        Output o = outputs.get(index);
        int rowBytes = o.rowElements() * o.elementBytes();
        return buffers[index].duplicate().position(fromRow * rowBytes).limit((fromRow + rows) * rowBytes).slice()
                .order(ByteOrder.nativeOrder());
    }

    /** Copies rows {@code [fromRow, fromRow + rows)} of output {@code index} into a new array. */
    public float[] copy(int index, int fromRow, int rows) {
        float[] out = new float[rows * outputs.get(index).rowElements()];
        view(index, fromRow, rows).get(out);
        return out;
    }

    /** Copies rows {@code [fromRow, fromRow + rows)} of int64 output {@code index} into a new array. */
    public long[] copyLongs(int index, int fromRow, int rows) {
        long[] out = new long[rows * outputs.get(index).rowElements()];
        longView(index, fromRow, rows).get(out);
        return out;
    }

    private void ensure(int rows) {
        if (rows <= capacityRows) {
            return;
        }
        int grown = Math.max(rows, Math.max(16, capacityRows * 2));
        for (int i = 0; i < buffers.length; i++) {
            Output o = outputs.get(i);
            buffers[i] = ByteBuffer.allocateDirect(Math.multiplyExact(Math.multiplyExact(grown, o.rowElements()), o.elementBytes()))
                    .order(ByteOrder.nativeOrder());
            floats[i] = o.int64() ? null : buffers[i].asFloatBuffer();
        }
        capacityRows = grown;
    }
}
