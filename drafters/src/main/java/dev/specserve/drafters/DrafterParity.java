package dev.specserve.drafters;

import com.fasterxml.jackson.databind.JsonNode;
import dev.specserve.runtime.parity.GoldenParity;
import java.util.ArrayList;
import java.util.List;

/**
 * Replays the drafter goldens: the recorded context pairs plus one block of K slots, with a zero and a
 * random adapter. Java must return the same top-k ids and log-probs as PyTorch.
 */
public final class DrafterParity {
    private DrafterParity() {}

    /** {@code top1Match}: every slot's first draft is PyTorch's (all an int8 drafter is held to). */
    public record CaseResult(String adapter, boolean topIdsMatch, boolean top1Match, double maxLogprobDiff,
                             int[][] topIds, float[][] topLogprobs) {}

    public record Report(List<CaseResult> cases) {
        public boolean passed(double tolerance) {
            return !cases.isEmpty() && cases.stream().allMatch(c -> c.topIdsMatch() && c.maxLogprobDiff() <= tolerance);
        }

        public boolean top1Matches() {
            return !cases.isEmpty() && cases.stream().allMatch(CaseResult::top1Match);
        }
    }

    public static Report run(ModelStack stack) {
        JsonNode golden = GoldenParity.readGolden(stack.manifest());
        JsonNode targetCase = golden.get("target").get(golden.path("drafter_uses_case").asInt(0));
        int[] prompt = ints(targetCase.get("prompt_ids"));
        var info = stack.manifest().drafter();
        int h = info.dim();
        var prefill = stack.target().forward(prompt, range(prompt.length),
                dev.specserve.runtime.model.Masks.causal(prompt.length, 0), stack.target().newCache(1));
        List<CaseResult> results = new ArrayList<>();
        for (JsonNode c : golden.get("drafter")) {
            Adapter adapter = new Adapter(info.adapterRank(), h, floats(c.get("adapter_a")), floats(c.get("adapter_b")));
            int[] tokens = ints(c.get("input_ids"));
            int[] slots = ints(c.get("slot_ids"));
            int[] shift = ints(c.get("shift_index"));
            int[] pos = ints(c.get("position_ids"));
            int n = prompt.length;
            int s = tokens.length;
            List<DraftRow> rows = new ArrayList<>();
            for (int i = 0; i < s; i++) {
                int hiddenRow = Math.min(i, n - 1);
                float[] hidden = java.util.Arrays.copyOfRange(prefill.hidden(), hiddenRow * h, (hiddenRow + 1) * h);
                int prefix = i < n ? i + 1 : n;
                int[] extra = new int[i < n ? 0 : i - n + 1];
                for (int j = 0; j < extra.length; j++) {
                    extra[j] = n + j;
                }
                rows.add(new DraftRow(tokens[i], hidden, slots[i], shift[i], pos[i], prefix, extra));
            }
            DrafterOutput out = stack.drafterModel().forward(rows, stack.drafterModel().newCache(1), adapter);
            JsonNode expIds = c.get("last_k_topk_ids");
            JsonNode expLp = c.get("last_k_topk_logprobs");
            int k = expIds.size();
            boolean idsMatch = true;
            boolean top1 = true;
            double maxDiff = 0;
            int[][] got = new int[k][];
            float[][] gotLp = new float[k][];
            for (int j = 0; j < k; j++) {
                int row = s - k + j;
                got[j] = out.topIds(row);
                float[] lp = out.topLogprobs(row);
                gotLp[j] = lp;
                top1 &= got[j][0] == expIds.get(j).get(0).asInt();
                for (int t = 0; t < got[j].length; t++) {
                    idsMatch &= got[j][t] == expIds.get(j).get(t).asInt();
                    maxDiff = Math.max(maxDiff, Math.abs(lp[t] - expLp.get(j).get(t).asDouble()));
                }
            }
            results.add(new CaseResult(c.get("adapter").asText(), idsMatch, top1, maxDiff, got, gotLp));
        }
        return new Report(results);
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }
}
