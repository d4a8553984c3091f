package dev.specserve.runtime.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * Reusable direct buffers for a forward's inputs, one per input name. A tensor made from a heap array makes
 * ORT allocate native memory and copy into it on every call (freed only when the collector gets to it); a
 * tensor over a direct buffer is used in place. The values are copied into this arena's buffer for the name,
 * grown (doubling) when too small. A tensor made here stays valid until the next one made for the same name
 * on this arena. Not thread-safe: give each thread its own.
 */
public final class InputArena {
    private final Map<String, ByteBuffer> buffers = new HashMap<>();

    /** A float tensor of {@code shape} holding {@code values[from, from + count)}. */
    public OnnxTensor floats(OrtEnvironment env, String name, float[] values, int from, int count, long[] shape)
            throws OrtException {
        ByteBuffer b = buffer(name, count * Float.BYTES);
        b.asFloatBuffer().put(values, from, count);
        return OnnxTensor.createTensor(env, b.asFloatBuffer(), shape);
    }

    /** A float tensor of {@code shape} holding all of {@code values}. */
    public OnnxTensor floats(OrtEnvironment env, String name, float[] values, long[] shape) throws OrtException {
        return floats(env, name, values, 0, values.length, shape);
    }

    /** An int64 tensor of {@code shape} holding {@code values}. */
    public OnnxTensor longs(OrtEnvironment env, String name, long[] values, long[] shape) throws OrtException {
        ByteBuffer b = buffer(name, values.length * Long.BYTES);
        b.asLongBuffer().put(values);
        return OnnxTensor.createTensor(env, b.asLongBuffer(), shape);
    }

    /** An int64 tensor of {@code shape} holding {@code values}, widened from ints. */
    public OnnxTensor longs(OrtEnvironment env, String name, int[] values, long[] shape) throws OrtException {
        ByteBuffer b = buffer(name, values.length * Long.BYTES);
        var lb = b.asLongBuffer();
        for (int v : values) {
            lb.put(v);
        }
        return OnnxTensor.createTensor(env, b.asLongBuffer(), shape);
    }

    /** The name's buffer, at least {@code bytes} long, as a native-order view of exactly {@code bytes}. */
    private ByteBuffer buffer(String name, int bytes) {
        ByteBuffer b = buffers.get(name);
        if (b == null || b.capacity() < bytes) {
            b = ByteBuffer.allocateDirect(Math.max(bytes, b == null ? 64 : 2 * b.capacity()));
            buffers.put(name, b);
        }
        return b.duplicate().position(0).limit(bytes).slice().order(ByteOrder.nativeOrder());
    }
}
