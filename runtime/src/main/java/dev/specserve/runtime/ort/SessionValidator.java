package dev.specserve.runtime.ort;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.specserve.runtime.manifest.ManifestException;
import dev.specserve.runtime.manifest.TensorSpec;
import java.util.List;
import java.util.Map;

/** Checks that an opened session has exactly the inputs and outputs its manifest declares. */
public final class SessionValidator {
    private SessionValidator() {}

    public static void validate(String model, OrtSession session, List<TensorSpec> inputs, List<TensorSpec> outputs) {
        try {
            check(model, "input", session.getInputInfo(), inputs);
            check(model, "output", session.getOutputInfo(), outputs);
        } catch (OrtException e) {
            throw new ManifestException("cannot read I/O of " + model + ": " + e.getMessage(), e);
        }
    }

    private static void check(String model, String kind, Map<String, NodeInfo> actual, List<TensorSpec> declared) {
        for (TensorSpec spec : declared) {
            NodeInfo info = actual.get(spec.name());
            if (info == null) {
                throw new ManifestException(model + " has no " + kind + " tensor '" + spec.name()
                        + "' declared in the manifest (model has: " + actual.keySet() + ")");
            }
            if (!(info.getInfo() instanceof TensorInfo t)) {
                throw new ManifestException(model + " " + kind + " '" + spec.name() + "' is not a tensor");
            }
            long[] shape = t.getShape();
            if (shape.length != spec.shape().size()) {
                throw new ManifestException(model + " " + kind + " '" + spec.name() + "' has rank " + shape.length
                        + " but the manifest declares " + spec.shape());
            }
            for (int i = 0; i < shape.length; i++) {
                long fixed = spec.fixedDim(i);
                if (fixed >= 0 && shape[i] >= 0 && shape[i] != fixed) {
                    throw new ManifestException(model + " " + kind + " '" + spec.name() + "' dimension " + i + " is "
                            + shape[i] + " but the manifest declares " + fixed);
                }
            }
            String type = t.type.toString().toLowerCase();
            String want = spec.dtype().replace("float32", "float");
            if (!type.equals(want)) {
                throw new ManifestException(model + " " + kind + " '" + spec.name() + "' has type " + type
                        + " but the manifest declares " + spec.dtype());
            }
        }
        for (String name : actual.keySet()) {
            if (declared.stream().noneMatch(s -> s.name().equals(name))) {
                throw new ManifestException(model + " has an undeclared " + kind + " '" + name + "'");
            }
        }
    }
}
