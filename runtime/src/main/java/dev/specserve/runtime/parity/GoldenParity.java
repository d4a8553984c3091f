package dev.specserve.runtime.parity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.model.GreedyDecoder;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Re-runs every golden prompt recorded by the PyTorch build: Java must tokenize identically, produce the
 * same greedy tokens, and agree on the recorded logits within the manifest's tolerance.
 */
public final class GoldenParity {
    private GoldenParity() {}

    public record CaseResult(String domain, boolean idsMatch, boolean tokensMatch, int firstMismatch,
                             double maxLogitDiff, String generatedText) {
        public boolean passed(double tolerance) {
            return idsMatch && tokensMatch && maxLogitDiff <= tolerance;
        }
    }

    public record Report(List<CaseResult> cases, double tolerance) {
        public boolean passed() {
            return !cases.isEmpty() && cases.stream().allMatch(c -> c.passed(tolerance));
        }

        public double maxLogitDiff() {
            return cases.stream().mapToDouble(CaseResult::maxLogitDiff).max().orElse(Double.NaN);
        }
    }

    public static JsonNode readGolden(ModelManifest manifest) {
        try {
            return new ObjectMapper().readTree(manifest.golden().toFile());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read golden outputs " + manifest.golden() + ": " + e.getMessage(), e);
        }
    }

    public static Report run(ModelManifest manifest, TargetModel target, TextTokenizer tokenizer) {
        JsonNode golden = readGolden(manifest);
        double tol = golden.path("tolerance").asDouble(1e-4);
        int[] probes = ints(golden.get("probe_ids"));
        GreedyDecoder decoder = new GreedyDecoder(target);
        List<CaseResult> results = new ArrayList<>();
        for (JsonNode c : golden.get("target")) {
            int[] expectedIds = ints(c.get("prompt_ids"));
            // a prompt given as ids only (a tokenizer the exporter cannot run) has no text to re-tokenize
            boolean idsMatch = !c.hasNonNull("prompt") || Arrays.equals(tokenizer.encode(c.get("prompt").asText()), expectedIds);
            JsonNode steps = c.get("steps");
            List<GreedyDecoder.Step> got = decoder.decode(expectedIds, steps.size());
            int mismatch = -1;
            double maxDiff = 0;
            for (int s = 0; s < steps.size(); s++) {
                JsonNode step = steps.get(s);
                if (mismatch < 0 && got.get(s).token() != step.get("token").asInt()) {
                    mismatch = s;
                }
                float[] logits = got.get(s).logits();
                int[] top = ints(step.get("top_ids"));
                for (int i = 0; i < top.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(logits[top[i]] - step.get("top_logits").get(i).asDouble()));
                }
                for (int i = 0; i < probes.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(logits[probes[i]] - step.get("probe_logits").get(i).asDouble()));
                }
                if (mismatch >= 0) {
                    break; // later steps condition on a different prefix
                }
            }
            int[] tokens = got.stream().mapToInt(GreedyDecoder.Step::token).toArray();
            results.add(new CaseResult(c.get("domain").asText(), idsMatch, mismatch < 0, mismatch, maxDiff,
                    tokenizer.decode(tokens)));
        }
        return new Report(results, tol);
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
