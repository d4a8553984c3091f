package dev.specserve.runtime.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OverloadLogTest {
    @Test
    void theFirstRefusalIsLoggedThenAtMostOneLinePerMinuteCountingWhatWasRefusedMeanwhile() {
        AtomicLong now = new AtomicLong(1_000);
        OverloadLog log = new OverloadLog(now::get);

        assertThat(log.refused(8, 64, 64)).as("the first").isTrue();
        int lines = 0;
        for (int i = 0; i < 5_000; i++) { // a burst of refusals over 50 s
            now.addAndGet(10_000_000L);
            lines += log.refused(8, 64, 64) ? 1 : 0;
        }
        assertThat(lines).isZero();
        now.addAndGet(OverloadLog.EVERY_NANOS);
        assertThat(log.refused(8, 64, 64)).as("a minute after the last line").isTrue();
    }

    @Test
    void theRefusalsAfterABurstsLastLineAreLoggedWhenTheQueueTakesRequestsAgain() {
        AtomicLong now = new AtomicLong(1_000);
        OverloadLog log = new OverloadLog(now::get);
        assertThat(log.accepted(1, 0, 64)).as("nothing refused").isFalse();
        log.refused(8, 64, 64);
        now.addAndGet(1_000_000_000L);
        log.refused(8, 64, 64); // the burst's tail, after its line

        assertThat(log.accepted(8, 63, 64)).as("within the minute").isFalse();
        now.addAndGet(OverloadLog.EVERY_NANOS);
        assertThat(log.accepted(8, 63, 64)).as("the tail, once").isTrue();
        assertThat(log.accepted(8, 63, 64)).isFalse();
    }

    @Test
    void refusalsNotLoggedYetAreLoggedWhenTheEngineStopsWithinTheMinute() {
        AtomicLong now = new AtomicLong(1_000);
        OverloadLog log = new OverloadLog(now::get);
        assertThat(log.close()).as("nothing refused").isFalse();
        log.refused(8, 64, 64);
        now.addAndGet(20_000_000L);
        log.refused(8, 64, 64); // within the minute: held back

        assertThat(log.close()).as("the tail, at shutdown").isTrue();
        assertThat(log.close()).isFalse();
    }
}
