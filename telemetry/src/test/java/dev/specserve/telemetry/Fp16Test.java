package dev.specserve.telemetry;

import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class Fp16Test {

    @Test
    void everyHalfValueSurvivesAConversionToFloatAndBack() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Fp16.toFloat((short) h);
            if (Float.isNaN(f)) {
                assertThat(Float.isNaN(Fp16.toFloat(Fp16.fromFloat(f)))).isTrue();
            } else {
                assertThat(Fp16.fromFloat(f) & 0xffff).as("half 0x%04x", h).isEqualTo(h);
            }
        }
    }

    @Test
    void knownValuesConvertExactly() {
        assertThat(Fp16.fromFloat(1.0f)).isEqualTo((short) 0x3c00);
        assertThat(Fp16.fromFloat(-2.0f)).isEqualTo((short) 0xc000);
        assertThat(Fp16.fromFloat(65504f)).isEqualTo((short) 0x7bff);
        assertThat(Fp16.fromFloat(0x1p-24f)).isEqualTo((short) 0x0001);
        assertThat(Fp16.fromFloat(0x1p-14f)).isEqualTo((short) 0x0400);
        assertThat(Fp16.fromFloat(1e6f)).isEqualTo((short) 0x7c00);
        assertThat(Fp16.fromFloat(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xfc00);
        assertThat(Fp16.fromFloat(1e-9f)).isEqualTo((short) 0);
        assertThat(Float.isNaN(Fp16.toFloat(Fp16.fromFloat(Float.NaN)))).isTrue();
    }

    @Test
    void roundingIsToNearestWithTiesToEven() {
        // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties to the even mantissa (1.0)
        assertThat(Fp16.fromFloat(1f + 0x1p-11f)).isEqualTo((short) 0x3c00);
        // 1 + 3*2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: ties to even (1 + 2^-9)
        assertThat(Fp16.fromFloat(1f + 3 * 0x1p-11f)).isEqualTo((short) 0x3c02);
        assertThat(Fp16.fromFloat(1f + 0x1p-11f + 0x1p-20f)).isEqualTo((short) 0x3c01);
        // 65520 rounds up to infinity
        assertThat(Fp16.fromFloat(65520f)).isEqualTo((short) 0x7c00);
    }

    @Test
    void conversionPicksTheNearestHalfForRandomFloats() {
        Random rnd = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            float f = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(10) - 6));
            short h = Fp16.fromFloat(f);
            float back = Fp16.toFloat(h);
            float up = Fp16.toFloat((short) (h + 1));
            float down = Fp16.toFloat((short) (h - 1));
            double err = Math.abs((double) back - f);
            if (!Float.isInfinite(up) && !Float.isNaN(up)) {
                assertThat(err).as("%s -> %s", f, back).isLessThanOrEqualTo(Math.abs((double) up - f));
            }
            if (!Float.isInfinite(down) && !Float.isNaN(down)) {
                assertThat(err).as("%s -> %s", f, back).isLessThanOrEqualTo(Math.abs((double) down - f));
            }
        }
    }
}
