package dev.specserve.runtime.grammar;

/** A grammar the request asked for cannot be served; the message says why, in terms of what the client sent. */
public final class GrammarException extends IllegalArgumentException {
    public GrammarException(String message) {
        super(message);
    }
}
