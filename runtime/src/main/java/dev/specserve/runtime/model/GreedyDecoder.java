package dev.specserve.runtime.model;

import dev.specserve.runtime.kv.KvCache;
import java.util.ArrayList;
import java.util.List;

/** Plain greedy autoregressive decoding with the KV cache, keeping each step's logits (parity checks). */
public final class GreedyDecoder {
    private final TargetModel target;

    public GreedyDecoder(TargetModel target) {
        this.target = target;
    }

    public record Step(int token, float[] logits) {}

    public List<Step> decode(int[] prompt, int steps) {
        KvCache cache = target.newCache(prompt.length + steps + 1);
        List<Step> out = new ArrayList<>();
        int[] input = prompt;
        for (int s = 0; s < steps; s++) {
            int past = cache.length();
            int[] positions = new int[input.length];
            for (int i = 0; i < positions.length; i++) {
                positions[i] = past + i;
            }
            TargetOutput o = target.forward(input, positions, Masks.causal(input.length, past), cache, 1);
            cache.appendAll(o.present(), input.length);
            int row = input.length - 1;
            float[] logits = new float[o.vocab()];
            System.arraycopy(o.logits(), o.logitsOffset(row), logits, 0, o.vocab());
            int next = o.argmax(row);
            out.add(new Step(next, logits));
            input = new int[] {next};
        }
        return out;
    }

    /** Greedy decoding that recomputes the whole sequence every step, without a cache (reference for tests). */
    public List<Step> decodeWithoutCache(int[] prompt, int steps) {
        List<Step> out = new ArrayList<>();
        int[] seq = prompt.clone();
        for (int s = 0; s < steps; s++) {
            KvCache empty = target.newCache(1);
            int[] positions = new int[seq.length];
            for (int i = 0; i < positions.length; i++) {
                positions[i] = i;
            }
            TargetOutput o = target.forward(seq, positions, Masks.causal(seq.length, 0), empty, 1);
            int row = seq.length - 1;
            float[] logits = new float[o.vocab()];
            System.arraycopy(o.logits(), o.logitsOffset(row), logits, 0, o.vocab());
            int next = o.argmax(row);
            out.add(new Step(next, logits));
            seq = java.util.Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = next;
        }
        return out;
    }
}
