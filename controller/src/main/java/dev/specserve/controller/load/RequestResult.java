package dev.specserve.controller.load;

/**
 * How one streamed completion went, as the client saw it. Times are {@link System#nanoTime()} offsets from the
 * moment the request was handed to the HTTP client.
 *
 * @param failure null on success, else a short reason: {@code http_<status>}, {@code error_chunk},
 *        {@code timeout}, {@code incomplete_stream} (no {@code [DONE]}), {@code bad_chunk} (unparsable event) or
 *        the simple name of the exception the client threw (e.g. {@code ConnectException})
 * @param message detail of the failure (the server's error message when it sent one), else null
 * @param ttftNanos time to the first chunk with non-empty text; -1 when no chunk carried text
 * @param e2eNanos time to {@code [DONE]} (or to the failure)
 * @param tokenChunkNanos arrival times of the chunks with non-empty text, in order
 * @param completionTokens {@code usage.completion_tokens} of the final chunk, or the number of text chunks when
 *        the server sent no usage
 * @param usageReported whether the count came from {@code usage}
 */
public record RequestResult(String failure, String message, long ttftNanos, long e2eNanos, long[] tokenChunkNanos,
                            int completionTokens, boolean usageReported) {

    public boolean ok() {
        return failure == null;
    }

    static RequestResult failed(String failure, String message, long e2eNanos) {
        return new RequestResult(failure, message, -1, e2eNanos, new long[0], 0, false);
    }
}
