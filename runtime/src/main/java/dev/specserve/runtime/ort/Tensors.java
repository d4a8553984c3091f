package dev.specserve.runtime.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;

/** Tensors made in bulk (one per past input, say): all of them, or none left open. */
public final class Tensors {
    private Tensors() {}

    /** Makes one tensor per tensor index. */
    @FunctionalInterface
    public interface Maker {
        OnnxTensor make(int index) throws OrtException;
    }

    /** {@code n} tensors from {@code maker}; if one fails, those already made are closed before the failure propagates. */
    public static OnnxTensor[] all(int n, Maker maker) throws OrtException {
        OnnxTensor[] out = new OnnxTensor[n];
        try {
            for (int i = 0; i < n; i++) {
                out[i] = maker.make(i);
            }
        } catch (OrtException | RuntimeException e) {
            for (OnnxTensor t : out) {
                if (t != null) {
                    t.close();
                }
            }
            throw e;
        }
        return out;
    }
}
