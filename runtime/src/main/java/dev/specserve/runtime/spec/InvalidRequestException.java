package dev.specserve.runtime.spec;

/** A request the engine refuses before any model call; {@link #field()} names the offending field. */
public class InvalidRequestException extends RuntimeException {
    private final String field;

    public InvalidRequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
