package dev.specserve.runtime.manifest;

import java.util.Arrays;
import java.util.List;

/**
 * The drafter's reduced output vocabulary (FR-Spec, EAGLE-3's d2t map): draft id i stands for target token
 * {@code toTarget(i)}. Target tokens outside it are never drafted; verification still covers every token, so
 * output stays lossless. A manifest without a map gets the identity over the whole target vocabulary.
 */
public final class DraftVocabulary {
    private final int[] draftToTarget;
    private final int[] targetToDraft;

    private DraftVocabulary(int[] draftToTarget, int targetVocab) {
        this.draftToTarget = draftToTarget;
        this.targetToDraft = new int[targetVocab];
        Arrays.fill(targetToDraft, -1);
        for (int d = 0; d < draftToTarget.length; d++) {
            int t = draftToTarget[d];
            if (t < 0 || t >= targetVocab) {
                throw new ManifestException("drafter.draft_to_target[" + d + "] = " + t
                        + " is outside the target vocabulary (0.." + (targetVocab - 1) + ")");
            }
            if (targetToDraft[t] >= 0) {
                throw new ManifestException("drafter.draft_to_target maps target token " + t + " twice (draft ids "
                        + targetToDraft[t] + " and " + d + ")");
            }
            targetToDraft[t] = d;
        }
    }

    public static DraftVocabulary identity(int targetVocab) {
        int[] ids = new int[targetVocab];
        Arrays.setAll(ids, i -> i);
        return new DraftVocabulary(ids, targetVocab);
    }

    public static DraftVocabulary of(int[] draftToTarget, int targetVocab) {
        if (draftToTarget.length == 0) {
            throw new ManifestException("drafter.draft_to_target is empty");
        }
        return new DraftVocabulary(draftToTarget.clone(), targetVocab);
    }

    /** From the manifest's optional {@code drafter.draft_to_target} list; null gives the identity. */
    static DraftVocabulary fromJson(Object raw, int targetVocab) {
        if (raw == null) {
            return identity(targetVocab);
        }
        if (!(raw instanceof List<?> list)) {
            throw new ManifestException("manifest field 'drafter.draft_to_target' must be a list of token ids");
        }
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!(list.get(i) instanceof Integer v)) {
                throw new ManifestException("drafter.draft_to_target[" + i + "] must be an integer, got " + list.get(i));
            }
            ids[i] = v;
        }
        return of(ids, targetVocab);
    }

    /** Number of draft ids. */
    public int size() {
        return draftToTarget.length;
    }

    public int targetVocab() {
        return targetToDraft.length;
    }

    public int toTarget(int draftId) {
        if (draftId < 0 || draftId >= draftToTarget.length) {
            throw new IllegalArgumentException("the drafter returned draft id " + draftId + ", outside its "
                    + draftToTarget.length + "-token draft vocabulary (manifest drafter.draft_to_target does not fit "
                    + "the drafter's output head)");
        }
        return draftToTarget[draftId];
    }

    /** The draft id of a target token, or -1 when the drafter can never propose it. */
    public int toDraft(int targetToken) {
        return targetToken >= 0 && targetToken < targetToDraft.length ? targetToDraft[targetToken] : -1;
    }

    public boolean isIdentity() {
        return draftToTarget.length == targetToDraft.length;
    }
}
