package dev.specserve.runtime.manifest;

import java.util.List;

/** One declared model input or output: its name, symbolic or fixed shape, and element type. */
public record TensorSpec(String name, List<Object> shape, String dtype) {
    /** Fixed size of dimension i, or -1 when symbolic. */
    public long fixedDim(int i) {
        Object d = shape.get(i);
        return d instanceof Number n ? n.longValue() : -1;
    }
}
