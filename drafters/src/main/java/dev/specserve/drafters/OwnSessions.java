package dev.specserve.drafters;

import dev.specserve.runtime.spec.DraftSession;
import java.util.ArrayList;
import java.util.List;

/** For a drafter's batched proposal: its sessions as its own session type. */
final class OwnSessions {
    private OwnSessions() {}

    /** The sessions cast to {@code type}, or null when one is another drafter's (then they propose one by one). */
    static <S extends DraftSession> List<S> of(List<? extends DraftSession> sessions, Class<S> type) {
        List<S> own = new ArrayList<>(sessions.size());
        for (DraftSession d : sessions) {
            if (!type.isInstance(d)) {
                return null;
            }
            own.add(type.cast(d));
        }
        return own;
    }
}
