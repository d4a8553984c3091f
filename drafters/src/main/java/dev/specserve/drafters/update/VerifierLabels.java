package dev.specserve.drafters.update;

import dev.specserve.runtime.spec.DraftTree;
import dev.specserve.runtime.spec.RoundResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a verified round into training labels, for free: every tree position whose parent lies on the
 * accepted path is labelled with the target's token there. Along the accepted path every earlier position
 * was right, so all of them pass the valid-prefix mask; the last one is the first rejected position, whose
 * drafter output is kept as in the reference implementation.
 */
public final class VerifierLabels {
    private VerifierLabels() {}

    /** One label: the drafter hidden state that proposed children of a path node, the target's token, its depth. */
    public record Label(float[] hidden, int targetToken, int depth, boolean validPrefix) {}

    public static List<Label> fromRound(RoundResult round) {
        DraftTree tree = round.tree();
        int[] accepted = round.acceptance().acceptedNodes();
        int[] targetTokens = round.acceptance().targetTokens();
        List<Label> out = new ArrayList<>();
        for (int i = 0; i <= accepted.length; i++) {
            int parent = i == 0 ? DraftTree.ROOT : accepted[i - 1];
            List<Integer> children = tree.children(parent);
            if (children.isEmpty()) {
                continue; // the drafter proposed nothing here
            }
            float[] hidden = tree.originHidden(children.get(0));
            if (hidden == null) {
                continue; // model-free drafter
            }
            out.add(new Label(hidden, targetTokens[parent + 1], i + 1, true));
        }
        return out;
    }

    public static List<AdapterSample> samples(List<Label> labels) {
        List<AdapterSample> s = new ArrayList<>(labels.size());
        for (Label l : labels) {
            s.add(new AdapterSample(l.hidden(), l.targetToken()));
        }
        return s;
    }
}
