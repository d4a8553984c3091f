package dev.specserve.controller.adapt;

import dev.specserve.drafters.DrafterVersion;
import dev.specserve.drafters.DrafterVersions;
import dev.specserve.drafters.update.AdapterSample;
import dev.specserve.drafters.update.SampleBuffer;
import dev.specserve.telemetry.TrainingSample;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifier labels into the sample buffer: a drafter's own valid-prefix nodes, from a version on the current
 * drafter file. Hidden states are only valid for the ONNX session that produced them, so labels drafted by
 * another file (before a full swap) cannot train the current one's adapter; they are counted as stale.
 *
 * <p>A sample that decodes but cannot be the drafter's (hidden states of another width than its adapter's, a
 * non-finite value, a target token outside the target's vocabulary) is refused whole and counted as invalid:
 * one such sample in the held-out set would make every candidate's agreement meaningless.
 */
final class LabelIntake {
    private static final Logger LOG = LoggerFactory.getLogger(AdaptationController.class);

    private final String drafterId;
    private final DrafterVersions versions;
    private final SampleBuffer buffer;
    private final AtomicLong stale = new AtomicLong();
    private final AtomicLong invalid = new AtomicLong();
    private volatile int targetVocab = Integer.MAX_VALUE;

    LabelIntake(String drafterId, DrafterVersions versions, SampleBuffer buffer) {
        this.drafterId = drafterId;
        this.versions = versions;
        this.buffer = buffer;
    }

    /** Target tokens must be below {@code vocab} (the target model's vocabulary size). */
    void targetVocabulary(int vocab) {
        this.targetVocab = vocab;
    }

    void accept(TrainingSample s) {
        if (!drafterId.equals(s.drafterId())) {
            return;
        }
        if (!recordedOnCurrentModel(s.drafterVersion())) {
            stale.incrementAndGet();
            return;
        }
        String problem = problem(s);
        if (problem != null) {
            if (invalid.incrementAndGet() == 1) {
                LOG.warn("drafter {}: refused a training sample from request {} ({}); such samples are counted in "
                        + "specserve_adaptation_invalid_samples_total, and only the first is logged", drafterId,
                        s.requestId(), problem);
            }
            return;
        }
        for (int i = 0; i < s.nodes(); i++) {
            if (s.validPrefix()[i]) {
                buffer.add(new AdapterSample(s.hiddenRow(i), s.targetTokens()[i]));
            }
        }
    }

    /** Why the sample cannot be the current drafter's, or null. */
    private String problem(TrainingSample s) {
        int dim = versions.current().adapter().dim();
        if (s.hiddenDim() != dim) {
            return "hidden size " + s.hiddenDim() + ", the drafter's is " + dim;
        }
        for (int i = 0; i < s.nodes(); i++) {
            int token = s.targetTokens()[i];
            if (s.validPrefix()[i] && (token < 0 || token >= targetVocab)) {
                return "target token " + token + " outside the vocabulary of " + targetVocab;
            }
        }
        for (float v : s.hidden()) {
            if (!Float.isFinite(v)) {
                return "a hidden value is " + v;
            }
        }
        return null;
    }

    private boolean recordedOnCurrentModel(long version) {
        DrafterVersion current = versions.current();
        return version == current.id()
                || versions.find(version).map(v -> v.sharesModelWith(current)).orElse(false);
    }

    long stale() {
        return stale.get();
    }

    long invalid() {
        return invalid.get();
    }
}
