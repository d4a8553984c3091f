package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The lookup corpus's index: every suffix in order of its first tokens. */
class SuffixArrayTest {
    @Test
    void theSuffixArrayOrdersEverySuffixByItsFirstTokens() {
        Random r = new Random(3);
        for (int round = 0; round < 20; round++) {
            int alphabet = round % 2 == 0 ? 3 : 40; // few symbols: long repeats, so sorting needs every pass
            int[] t = IntStream.range(0, 300).map(i -> r.nextInt(alphabet)).toArray();
            int[] sa = SuffixArray.sort(t);

            Comparator<Integer> byPrefix = (a, b) -> Arrays.compare(prefix(t, a), prefix(t, b));
            Integer[] expected = IntStream.range(0, t.length).boxed().sorted(byPrefix).toArray(Integer[]::new);
            for (int i = 0; i < t.length; i++) { // equal prefixes may come in any order
                assertThat(prefix(t, sa[i])).isEqualTo(prefix(t, expected[i]));
            }
            assertThat(Arrays.stream(sa).sorted().toArray()).isEqualTo(IntStream.range(0, t.length).toArray());
        }
    }

    private static int[] prefix(int[] t, int start) {
        return Arrays.copyOfRange(t, start, Math.min(t.length, start + SuffixArray.SORTED_DEPTH));
    }
}
