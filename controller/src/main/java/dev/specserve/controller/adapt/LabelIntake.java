package dev.specserve.controller.adapt;

import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.AdapterSample;
import dev.specserve.drafters.update.SampleBuffer;
import dev.specserve.telemetry.TrainingSample;

/**
 * Verifier labels into the sample buffer: a drafter's own valid-prefix nodes, from a version on the current
 * drafter file. Hidden states are only valid for the ONNX session that produced them, so labels drafted by
 * another file (before a full swap) cannot train the current one's adapter; they are counted as stale.
 */
final class LabelIntake {
    private final String drafterId;
    private final DrafterVersions versions;
    private final SampleBuffer buffer;
    private volatile long stale;

    LabelIntake(String drafterId, DrafterVersions versions, SampleBuffer buffer) {
        this.drafterId = drafterId;
        this.versions = versions;
        this.buffer = buffer;
    }

    void accept(TrainingSample s) {
        if (!drafterId.equals(s.drafterId())) {
            return;
        }
        if (!recordedOnCurrentModel(s.drafterVersion())) {
            stale++;
            return;
        }
        for (int i = 0; i < s.nodes(); i++) {
            if (s.validPrefix()[i]) {
                buffer.add(new AdapterSample(s.hiddenRow(i), s.targetTokens()[i]));
            }
        }
    }

    private boolean recordedOnCurrentModel(long version) {
        DrafterVersion current = versions.current();
        return version == current.id()
                || versions.find(version).map(v -> v.sharesModelWith(current)).orElse(false);
    }

    long stale() {
        return stale;
    }
}
