package dev.specserve.runtime.engine;

import dev.specserve.runtime.spec.InvalidRequestException;
import java.util.List;

/**
 * The checks a request passes before anything expensive: a known strategy, a prompt, max_tokens within the
 * limit and the context, and a prompt that can fit the context judged by its size alone. A token covers at
 * most {@code maxTokenBytes} bytes, so a prompt of more bytes than (room x maxTokenBytes) has more tokens than
 * the context has room for, and is refused without tokenizing it (chars &lt;= UTF-8 bytes). Cheap enough
 * for an event loop.
 */
final class RequestLimits {
    private final List<String> strategies;
    private final int maxTokensLimit;
    private final int context;
    private final int maxTokenBytes;

    RequestLimits(List<String> strategies, int maxTokensLimit, int context, int maxTokenBytes) {
        this.strategies = List.copyOf(strategies);
        this.maxTokensLimit = maxTokensLimit;
        this.context = context;
        this.maxTokenBytes = maxTokenBytes;
    }

    /** Throws naming the field at fault; {@code strategy} is the request's, or the default. */
    void check(EngineRequest request, String strategy) {
        if (!strategies.contains(strategy)) {
            throw new InvalidRequestException("strategy", "unknown strategy '" + strategy + "'; known: "
                    + String.join(", ", strategies));
        }
        int[] tokens = request.promptTokens();
        if (tokens != null ? tokens.length == 0 : request.prompt() == null || request.prompt().isEmpty()) {
            throw new InvalidRequestException("prompt", "prompt is missing or empty");
        }
        if (request.maxTokens() > maxTokensLimit) {
            throw new InvalidRequestException("max_tokens", "max_tokens " + request.maxTokens()
                    + " is over the limit of " + maxTokensLimit);
        }
        if (request.maxTokens() >= context) {
            throw new InvalidRequestException("max_tokens", "this model's maximum context length is " + context
                    + " tokens, so max_tokens " + request.maxTokens() + " leaves no room for the prompt; ask for "
                    + "max_tokens <= " + (context - 1));
        }
        if (request.truncatePromptTokens() >= context) {
            throw new InvalidRequestException("truncate_prompt_tokens", "truncate_prompt_tokens "
                    + request.truncatePromptTokens() + " is not below this model's context of " + context + " tokens");
        }
        if (request.truncatePromptTokens() != 0) { // judged once cut, after tokenizing (on a worker)
            return;
        }
        long room = context - Math.max(1, request.maxTokens()); // filling the context still needs one token of room
        if (tokens != null) {
            if (tokens.length > room) {
                throw new InvalidRequestException(request.maxTokens() > 0 ? "max_tokens" : "prompt", "this model's "
                        + "maximum context length is " + context + " tokens, but the prompt is " + tokens.length + " tokens"
                        + (request.maxTokens() > 0 ? " and max_tokens " + request.maxTokens() + "; ask for max_tokens <= "
                        + Math.max(0, context - tokens.length) + " or shorten the prompt" : ", so no token can be generated"));
            }
            return;
        }
        long bound = room * maxTokenBytes;
        String prompt = request.prompt();
        if (prompt.length() > bound || utf8Length(prompt, bound) > bound) {
            throw new InvalidRequestException("prompt", "prompt of " + prompt.length() + " characters cannot fit: "
                    + "this model's maximum context length is " + context + " tokens (" + room + " after max_tokens " + request.maxTokens()
                    + ") and one token covers at most " + maxTokenBytes + " bytes, so at most " + bound
                    + " bytes of prompt can");
        }
    }

    /** The request's max_tokens, or for {@link EngineRequest#FILL_CONTEXT} the context's room after the prompt. */
    int maxTokens(EngineRequest request, int promptTokens) {
        if (request.maxTokens() != EngineRequest.FILL_CONTEXT) {
            return request.maxTokens();
        }
        if (context - promptTokens < 1) {
            throw new InvalidRequestException("prompt", "the prompt is " + promptTokens + " tokens and this "
                    + "model's maximum context length is " + context + ", so no token can be generated");
        }
        return Math.min(maxTokensLimit, context - promptTokens);
    }

    /** UTF-8 length of {@code s}, counting stops once past {@code cap}. */
    static long utf8Length(String s, long cap) {
        long n = 0;
        for (int i = 0; i < s.length() && n <= cap; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
