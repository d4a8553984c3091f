package dev.specserve.runtime.ort;

import java.util.Locale;

/** Where ORT sessions run: {@code auto} tries CUDA and falls back to the CPU. */
public enum ExecutionDevice {
    AUTO, CUDA, CPU;

    public static ExecutionDevice parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("device must be one of auto, cuda, cpu; got '" + value + "'");
        }
    }
}
