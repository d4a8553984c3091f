package dev.specserve.telemetry;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

import static dev.specserve.telemetry.SampleGate.Admission.ACCEPTED;
import static dev.specserve.telemetry.SampleGate.Admission.RATE_LIMITED;
import static dev.specserve.telemetry.SampleGate.Admission.TOO_LARGE;
import static org.assertj.core.api.Assertions.assertThat;

class SampleGateTest {

    private final AtomicLong now = new AtomicLong();

    private SampleGate gate(double fraction, long bytesPerSecond, long maxSampleBytes) {
        return new SampleGate(fraction, bytesPerSecond, maxSampleBytes, now::get);
    }

    @Test
    void selectionIsTheSameForTheSameRoundAndSelectsAboutTheFraction() {
        SampleGate quarter = gate(0.25, 1000, 1000);
        SampleGate again = gate(0.25, 1000, 1000);

        int selected = 0;
        for (int i = 0; i < 8_000; i++) {
            boolean s = quarter.selected("req-" + (i / 16), i % 16);
            assertThat(again.selected("req-" + (i / 16), i % 16)).isEqualTo(s);
            assertThat(quarter.selected("req-" + (i / 16), i % 16)).isEqualTo(s);
            selected += s ? 1 : 0;
        }
        assertThat(selected).isBetween(1_800, 2_200);
    }

    @Test
    void fractionOneSelectsEveryRoundAndFractionZeroNone() {
        assertThat(gate(1.0, 1000, 1000).selected("q", 7)).isTrue();
        assertThat(gate(1.0, 1000, 1000).selected(null, -1)).isTrue();
        assertThat(gate(0.0, 1000, 1000).selected("q", 7)).isFalse();
    }

    @Test
    void aSampleLargerThanTheBoundIsTooLargeAndTakesNothingFromTheCap() {
        SampleGate gate = gate(1.0, 1000, 400);

        assertThat(gate.admit(401)).isEqualTo(TOO_LARGE);
        assertThat(gate.admit(400)).isEqualTo(ACCEPTED);
        assertThat(gate.admit(400)).isEqualTo(ACCEPTED);
        assertThat(gate.admit(200)).isEqualTo(ACCEPTED);
        assertThat(gate.admit(1)).isEqualTo(RATE_LIMITED);
    }

    @Test
    void theCapAllowsOneSecondOfBurstThenRefillsAtTheRate() {
        SampleGate gate = gate(1.0, 1000, 1000);

        assertThat(gate.admit(1000)).isEqualTo(ACCEPTED);
        assertThat(gate.admit(1)).isEqualTo(RATE_LIMITED);

        now.addAndGet(500_000_000L); // 500 ms -> 500 bytes
        assertThat(gate.admit(501)).isEqualTo(RATE_LIMITED);
        assertThat(gate.admit(500)).isEqualTo(ACCEPTED);
    }

    @Test
    void aSampleMustFitInOneRequestOneSecondOfTheCapAndTheSampleBuffer() {
        TelemetryConfig config = TelemetryConfig.builder("127.0.0.1:9").sampleBytesPerSecond(1_000_000).build();
        SampleGate gate = SampleGate.of(config, 10_000);

        assertThat(gate.admit(10_000 - SampleGate.RECORD_OVERHEAD_BYTES + 1)).isEqualTo(TOO_LARGE);
        assertThat(gate.admit(10_000 - SampleGate.RECORD_OVERHEAD_BYTES)).isEqualTo(ACCEPTED);
    }
}
