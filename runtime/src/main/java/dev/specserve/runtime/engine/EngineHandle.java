package dev.specserve.runtime.engine;

/** A queued or running request's handle: cancelling sets a flag the scheduler reads between rounds. */
final class EngineHandle implements GenerationHandle {
    private final String id;
    volatile boolean cancelled;

    EngineHandle(String id) {
        this.id = id;
    }

    @Override
    public String requestId() {
        return id;
    }

    @Override
    public void cancel() {
        cancelled = true;
    }
}
