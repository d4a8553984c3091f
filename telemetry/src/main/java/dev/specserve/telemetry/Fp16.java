package dev.specserve.telemetry;

/**
 * IEEE 754 binary16 conversions (Java 17 has no {@code Float.floatToFloat16}).
 * Float-to-half rounds to nearest, ties to even; overflow gives infinity; NaN stays NaN.
 */
public final class Fp16 {

    private Fp16() {
    }

    /** Converts a float to the bits of the nearest half-precision value. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            // Inf stays Inf; NaN keeps the top payload bits and is forced quiet (never becomes Inf).
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x0200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign; // below half the smallest subnormal: rounds to (signed) zero
            }
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (half & 1) != 0)) {
                half++; // may carry into the smallest normal, which is the right encoding
            }
            return (short) (sign | half);
        }
        int half = sign | (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++; // a carry into the exponent (up to Inf) is the correct rounding
        }
        return (short) half;
    }

    /** Converts half-precision bits to a float (exact). */
    public static float toFloat(short halfBits) {
        int h = halfBits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
