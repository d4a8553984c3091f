package dev.specserve.runtime.spec;

/** Why a generation ended, named as in the OpenAI API where one exists. */
public enum FinishReason {
    STOP("stop"), LENGTH("length"), CANCELLED("cancelled"), TIMEOUT("timeout");

    private final String wire;

    FinishReason(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
