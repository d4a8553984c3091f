package dev.specserve.runtime.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A draft-tree row is penalised with its path counted as output: exactly what plain decoding applies once that path
 * has been committed. Greedy equality and sampling losslessness both rest on this.
 */
class PenaltiesTest {
    private static final int VOCAB = 12;

    @Test
    void aTokenRepeatedInsideOnePathPaysThePresencePenaltyOnce() {
        Penalties p = Penalties.of(SamplingParams.GREEDY.withPenalties(1.0, 0, Map.of()), VOCAB, new int[0]);
        double[] row = new double[VOCAB];

        p.apply(row, new int[] {3, 3}, 2);

        assertThat(row[3]).isEqualTo(-1.0);
        assertThat(Arrays.stream(row).filter(v -> v != 0)).hasSize(1);
    }

    @Test
    void aRowPenalisedWithItsPathEqualsThePathCommittedFirst() {
        Random random = new Random(35);
        for (int trial = 0; trial < 2_000; trial++) {
            double presence = random.nextBoolean() ? 0 : random.nextDouble() * 2 - 0.5;
            double frequency = random.nextBoolean() ? 0 : random.nextDouble() * 2 - 0.5;
            double repetition = random.nextBoolean() ? 1 : 0.5 + random.nextDouble() * 1.5;
            SamplingParams params = SamplingParams.GREEDY.withPenalties(presence, frequency, Map.of())
                    .withVllmSampling(-1, 0.0, repetition);
            int[] prompt = randomTokens(random, random.nextInt(6));
            int[] output = randomTokens(random, random.nextInt(6));
            int[] path = randomTokens(random, 1 + random.nextInt(6)); // small vocabulary: repeats are common
            double[] logits = random.doubles(VOCAB, -3, 3).toArray();

            Penalties speculative = Penalties.of(params, VOCAB, prompt);
            Penalties plain = Penalties.of(params, VOCAB, prompt);
            if (speculative == null) {
                continue; // no penalty set: nothing to compare
            }
            double[] viaPath = logits.clone();
            double[] viaCommit = logits.clone();
            Arrays.stream(output).forEach(t -> { speculative.add(t); plain.add(t); });
            Arrays.stream(path).forEach(plain::add);
            speculative.apply(viaPath, path, path.length);
            plain.apply(viaCommit, new int[0], 0);

            for (int t = 0; t < VOCAB; t++) {
                assertThat(viaPath[t]).as("trial %d token %d: prompt %s output %s path %s, presence %s frequency %s "
                                + "repetition %s", trial, t, Arrays.toString(prompt), Arrays.toString(output),
                        Arrays.toString(path), presence, frequency, repetition).isCloseTo(viaCommit[t], within(1e-9));
            }
        }
    }

    private static int[] randomTokens(Random random, int n) {
        return random.ints(n, 0, VOCAB).toArray();
    }
}
