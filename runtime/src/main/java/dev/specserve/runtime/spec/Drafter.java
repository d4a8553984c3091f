package dev.specserve.runtime.spec;

/** A drafting strategy. It opens one {@link DraftSession} per sequence being decoded. */
public interface Drafter {
    String name();

    DraftSession newSession();
}
