package dev.specserve.runtime.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import dk.brics.automaton.Automaton;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bounded numerals, checked value by value around every bound, from one digit to sixteen, signs included. */
class NumericSchemasTest {
    private static final long L = NumericSchemas.LIMIT;
    private static final List<Long> BOUNDS = List.of(-L, -L + 1, -1_000_000_000_000_000L + 1, -2_147_483_648L, -1000L,
            -999L, -100L, -10L, -9L, -1L, 0L, 1L, 9L, 10L, 99L, 100L, 12_345L, 2_147_483_647L, 1_600_000_000_000L,
            9_007_199_254_740_991L, L - 1, L);

    @Test
    void integers_between_bounds_are_exactly_the_numerals_of_those_integers_without_leading_zeros() {
        for (long lo : BOUNDS) {
            for (long hi : BOUNDS) {
                if (lo > hi) {
                    continue;
                }
                Automaton a = NumericSchemas.integers(lo, hi);
                for (long v : probes(lo, hi)) {
                    assertThat(a.run(Long.toString(v))).as("%d in [%d, %d]", v, lo, hi).isEqualTo(v >= lo && v <= hi);
                }
                assertThat(a.run("-0")).as("-0 in [%d, %d]", lo, hi).isFalse();
                assertThat(a.run("0" + Math.max(1, Math.min(hi, 9)))).as("a leading zero").isFalse();
            }
        }
    }

    @Test
    void decimals_between_whole_bounds_keep_each_bound_open_or_closed() {
        Automaton closed = NumericSchemas.numbers(1_600_000_000_000L, false, 1_900_000_000_000L, false);
        Automaton open = NumericSchemas.numbers(-9_007_199_254_740_991L, true, 9_007_199_254_740_991L, true);

        assertThat(closed.run("1600000000000")).isTrue();
        assertThat(closed.run("1600000000000.25")).isTrue();
        assertThat(closed.run("1599999999999.99")).isFalse();
        assertThat(closed.run("1900000000000.0")).isTrue();
        assertThat(closed.run("1900000000000.01")).isFalse();
        assertThat(open.run("9007199254740991")).isFalse();
        assertThat(open.run("9007199254740990.5")).isTrue();
        assertThat(open.run("-9007199254740991.0")).isFalse();
        assertThat(open.run("-9007199254740990.999")).isTrue();
    }

    private static List<Long> probes(long lo, long hi) {
        List<Long> out = new java.util.ArrayList<>();
        for (long base : new long[] {lo, hi, lo / 2 + hi / 2, 0, 1, -1, 10, -10}) {
            for (long d = -1; d <= 1; d++) {
                long v = base + d;
                if (Math.abs(v) <= L) {
                    out.add(v);
                }
            }
        }
        return out;
    }
}
