package dev.specserve.runtime.manifest;

import dev.specserve.runtime.ort.ExecutionDevice;
import java.util.Locale;

/**
 * Which of the manifest's drafter files a process serves. A manifest may carry, beside the drafter, the same
 * network with int8 weights ({@code drafter.int8.file}): on the CPU a drafter call is bound by reading its weights
 * again after every target forward, and int8 weights are a quarter of the bytes. Verification is unchanged, so
 * output stays exactly what plain decoding gives; only which tokens are drafted may differ.
 */
public enum DrafterPrecision {
    /** The int8 file on the CPU provider when the manifest has one, the full-precision file otherwise. */
    AUTO,
    /** Always the full-precision file. */
    FP32,
    /** Always the int8 file (an error when the manifest has none). */
    INT8;

    public static final String CHOICES = "one of auto, fp32, int8";

    public static DrafterPrecision parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("drafter precision must be " + CHOICES + "; got '" + value + "'");
        }
    }

    /** The drafter to open on {@code device} (the device sessions actually run on). */
    public ModelManifest.DrafterInfo served(ModelManifest.DrafterInfo drafter, ExecutionDevice device) {
        return switch (this) {
            case FP32 -> drafter;
            case AUTO -> device == ExecutionDevice.CPU && drafter.int8File() != null
                    ? drafter.withFile(drafter.int8File()) : drafter;
            case INT8 -> {
                if (drafter.int8File() == null) {
                    throw new ManifestException("drafter precision int8 was asked for, but the manifest names no int8 "
                            + "drafter (drafter.int8.file); use auto or fp32");
                }
                yield drafter.withFile(drafter.int8File());
            }
        };
    }
}
