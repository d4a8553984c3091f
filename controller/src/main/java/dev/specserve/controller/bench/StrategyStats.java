package dev.specserve.controller.bench;

import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundResult;
import java.util.LinkedHashMap;
import java.util.Map;

/** Accumulates one strategy's measurements over all prompts of a benchmark. */
public final class StrategyStats {
    private static final int MAX_DEPTH = 16;

    final String name;
    long generated;
    long decodeNanos;
    long rounds;
    long acceptedDraftTokens;
    long draftNanos;
    long draftOrtNanos;
    long verifyNanos;
    long verifyOrtNanos;
    long roundNanos;
    long draftForwards;
    long treeNodes;
    long plainRounds;
    final long[] draftedBySource = new long[DraftTree.GRAMMAR + 1];
    final long[] acceptedBySource = new long[DraftTree.GRAMMAR + 1];
    final long[] acceptedAtLeast = new long[MAX_DEPTH + 1];
    int outputs;
    int identicalOutputs;

    StrategyStats(String name) {
        this.name = name;
    }

    void addRound(RoundResult r) {
        rounds++;
        acceptedDraftTokens += r.acceptedLength();
        draftNanos += r.draftNanos();
        draftOrtNanos += r.draftOrtNanos();
        verifyNanos += r.verifyNanos();
        verifyOrtNanos += r.verifyOrtNanos();
        roundNanos += r.roundNanos();
        draftForwards += r.draftForwards();
        treeNodes += r.tree().size();
        if (r.tree().size() == 0) {
            plainRounds++;
        }
        for (int source : new int[] {DraftTree.MODEL, DraftTree.SUFFIX, DraftTree.CORPUS, DraftTree.GRAMMAR}) {
            draftedBySource[source] += r.drafted(source);
            acceptedBySource[source] += r.accepted(source);
        }
        for (int d = 1; d <= Math.min(r.acceptedLength(), MAX_DEPTH); d++) {
            acceptedAtLeast[d]++;
        }
    }

    void addGeneration(GenerationResult g, boolean identicalToReference) {
        generated += g.tokens().length - 1; // the first token comes from prefill, the same for every strategy
        decodeNanos += g.totalNanos() - g.prefillNanos();
        outputs++;
        if (identicalToReference) {
            identicalOutputs++;
        }
    }

    double tokensPerSecond() {
        return decodeNanos == 0 ? 0 : generated / (decodeNanos / 1e9);
    }

    double tau() {
        return rounds == 0 ? 0 : (double) (acceptedDraftTokens + rounds) / rounds;
    }

    double perRoundMs(long nanos) {
        return rounds == 0 ? 0 : nanos / 1e6 / rounds;
    }

    double javaShare() {
        return roundNanos == 0 ? 0 : (double) (roundNanos - draftOrtNanos - verifyOrtNanos) / roundNanos;
    }

    /** Rounds that verified no draft at all (plain decode steps). */
    double plainShare() {
        return rounds == 0 ? 0 : (double) plainRounds / rounds;
    }

    double[] acceptancePerDepth(int depth) {
        double[] a = new double[depth];
        for (int d = 1; d <= depth; d++) {
            a[d - 1] = rounds == 0 ? 0 : (double) acceptedAtLeast[Math.min(d, MAX_DEPTH)] / rounds;
        }
        return a;
    }

    Map<String, Object> toJson(double baselineTokensPerSecond, int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("strategy", name);
        m.put("tokens_per_s", round(tokensPerSecond()));
        m.put("speedup_vs_none", baselineTokensPerSecond > 0 ? round(tokensPerSecond() / baselineTokensPerSecond) : null);
        m.put("tau", round(tau()));
        m.put("acceptance_per_depth", java.util.Arrays.stream(acceptancePerDepth(depth)).map(StrategyStats::round).toArray());
        m.put("drafter_forwards_per_round", round(rounds == 0 ? 0 : (double) draftForwards / rounds));
        m.put("draft_ms_per_round", round(perRoundMs(draftNanos)));
        m.put("verify_ms_per_round", round(perRoundMs(verifyNanos)));
        m.put("java_share_of_round", round(javaShare()));
        m.put("mean_tree_size", round(rounds == 0 ? 0 : (double) treeNodes / rounds));
        m.put("plain_round_share", round(plainShare()));
        Map<String, Object> sources = new LinkedHashMap<>(); // in this order every run, for diffs
        sources.put("model", source(DraftTree.MODEL));
        sources.put("suffix", source(DraftTree.SUFFIX));
        sources.put("corpus", source(DraftTree.CORPUS)); // a part of suffix
        sources.put("grammar", source(DraftTree.GRAMMAR));
        m.put("sources", sources);
        m.put("rounds", rounds);
        m.put("generated_tokens", generated);
        // sampled too: prompt p is seeded p under every strategy, so each must sample none's very text (a
        // difference is possible only where float rounding moves a draw across a token boundary)
        m.put("identical_to_ar", identicalOutputs == outputs);
        m.put("identical_outputs", identicalOutputs);
        m.put("outputs", outputs);
        return m;
    }

    private Map<String, Object> source(int source) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("drafted", draftedBySource[source]);
        s.put("accepted", acceptedBySource[source]);
        return s;
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
