package dev.specserve.runtime.engine;

/** A submitted request; cancelling stops it at the next round boundary and frees its KV cache. */
public interface GenerationHandle {
    String requestId();

    void cancel();
}
