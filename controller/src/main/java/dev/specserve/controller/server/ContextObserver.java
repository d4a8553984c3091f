package dev.specserve.controller.server;

import dev.specserve.runtime.engine.GenerationObserver;
import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import io.vertx.core.Context;

/**
 * Moves a {@link GenerationObserver}'s callbacks from the engine thread onto a Vert.x context, so the delegate
 * runs single-threaded on its verticle's event loop and may touch responses and the event bus freely.
 * Callback order is preserved (a context runs its tasks in submission order).
 */
final class ContextObserver implements GenerationObserver {
    private final Context context;
    private final GenerationObserver delegate;

    ContextObserver(Context context, GenerationObserver delegate) {
        this.context = context;
        this.delegate = delegate;
    }

    @Override
    public void onStarted() {
        context.runOnContext(v -> delegate.onStarted());
    }

    @Override
    public void onTokens(int[] tokens, String textDelta) {
        int[] copy = tokens.clone();
        context.runOnContext(v -> delegate.onTokens(copy, textDelta));
    }

    @Override
    public void onTokens(int[] tokens, String textDelta, java.util.List<dev.specserve.runtime.spec.TokenLogprob> logprobs) {
        int[] copy = tokens.clone();
        context.runOnContext(v -> delegate.onTokens(copy, textDelta, logprobs));
    }

    @Override
    public void onComplete(GenerationResult result, RequestStats stats) {
        context.runOnContext(v -> delegate.onComplete(result, stats));
    }

    @Override
    public void onError(Throwable error) {
        context.runOnContext(v -> delegate.onError(error));
    }
}
