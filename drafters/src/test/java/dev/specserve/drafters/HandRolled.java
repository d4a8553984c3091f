package dev.specserve.drafters;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetOutput;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Plain decoding written out by hand, one target forward per token, independent of the runtime's decoder: the
 * reference tests hold every strategy's output to.
 */
final class HandRolled {
    private HandRolled() {}

    /** The next token from the logits of {@code row}, given the output so far. */
    @FunctionalInterface
    interface Choice {
        int token(TargetOutput out, int row, int[] output);
    }

    /**
     * Up to {@code steps} tokens after {@code prompt}: EOS ends the output (not kept); a token {@code endsAfter}
     * accepts ends it once kept.
     */
    static int[] decode(ModelStack stack, int[] prompt, int steps, Choice choice, IntPredicate endsAfter) {
        KvCache cache = stack.target().newCache(prompt.length + steps + 1);
        int[] out = new int[steps];
        int[] input = prompt;
        int n = 0;
        while (n < steps) {
            int past = cache.length();
            int[] pos = new int[input.length];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = past + i;
            }
            TargetOutput o = stack.target().forward(input, pos, Masks.causal(input.length, past), cache);
            cache.appendAll(o.present(), input.length);
            int token = choice.token(o, input.length - 1, Arrays.copyOf(out, n));
            if (token == stack.tokenizer().eosId()) {
                break;
            }
            out[n++] = token;
            if (endsAfter.test(token)) {
                break;
            }
            input = new int[] {token};
        }
        return Arrays.copyOf(out, n);
    }
}
