package dev.specserve.telemetry;

/** Element type of the hidden-state array in an encoded {@link TrainingSample}. */
public enum Dtype {
    /** IEEE 754 binary16, round-to-nearest-even; halves the size, ~3 significant decimal digits. */
    FP16(1, 2),
    /** IEEE 754 binary32, exact. */
    FP32(2, 4);

    private final int code;
    private final int bytes;

    Dtype(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** The dtype byte in the encoded header. */
    public int code() {
        return code;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The dtype for a header code, or null if unknown. */
    public static Dtype fromCode(int code) {
        for (Dtype d : values()) {
            if (d.code == code) {
                return d;
            }
        }
        return null;
    }
}
