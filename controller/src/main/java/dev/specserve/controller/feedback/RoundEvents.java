package dev.specserve.controller.feedback;

import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.RoundResult;
import dev.specserve.telemetry.RoundEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A verified round as the feedback topic carries it. */
public final class RoundEvents {
    private RoundEvents() {}

    public static RoundEvent of(RoundResult round, String replicaId, String requestId, String strategy,
                                String drafterId, long drafterVersion, String domain) {
        int depth = round.tree().maxDepth();
        int accepted = round.acceptedLength();
        List<Boolean> perDepth = new ArrayList<>(depth);
        for (int d = 0; d < depth; d++) {
            perDepth.add(d < accepted);
        }
        Map<String, RoundEvent.SourceTally> sources = new LinkedHashMap<>();
        tally(sources, "model", round, DraftTree.MODEL);
        tally(sources, "suffix", round, DraftTree.SUFFIX);
        tally(sources, "corpus", round, DraftTree.CORPUS);
        tally(sources, "grammar", round, DraftTree.GRAMMAR);
        return new RoundEvent(EventClock.SYSTEM.millis(), replicaId, requestId, round.index(), strategy, drafterId,
                drafterVersion, round.tree().size(), depth, accepted, perDepth, round.draftNanos(), round.verifyNanos(),
                domain, sources);
    }

    private static void tally(Map<String, RoundEvent.SourceTally> out, String name, RoundResult round, int source) {
        int drafted = round.drafted(source);
        if (drafted > 0) {
            out.put(name, new RoundEvent.SourceTally(drafted, round.accepted(source)));
        }
    }
}
