package dev.specserve.controller.server;

import dev.specserve.runtime.engine.Vocabulary;
import dev.specserve.runtime.spec.InvalidRequestException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * What a parsed request must fit besides its own fields: the names the model is served under
 * ({@code served_model_name}), how many sequences the server holds at once, and, for an echoing token prompt, the
 * text its answer starts with. Immutable.
 */
final class ServedModel {
    private final List<String> names;
    private final int admits;
    private final Vocabulary vocabulary;

    /**
     * @param names   the names requests may give as {@code model}; the first is the one answers report
     * @param admits  sequences the engine holds at once, running and queued (max_batch plus queue_capacity)
     */
    ServedModel(List<String> names, int admits, Vocabulary vocabulary) {
        this.names = List.copyOf(names);
        this.admits = admits;
        this.vocabulary = vocabulary;
    }

    /** The name answers report. */
    String name() {
        return names.get(0);
    }

    List<String> names() {
        return names;
    }

    /**
     * {@code body}, when it names no model or a served one (vLLM's 404 otherwise): checked before anything else, so
     * a request meant for another model is answered as such, whatever else is wrong with it.
     */
    JsonObject named(JsonObject body) {
        if (body.getValue("model") instanceof String model && !names.contains(model)) {
            throw new ModelNotFoundException(model, names);
        }
        return body;
    }

    /** {@code req}, when its choices can all be admitted at once: otherwise a 400, not a 429 that no retry would clear. */
    CompletionRequest fits(CompletionRequest req) {
        if (req.sequences() > admits) {
            int prompts = req.prompts().size();
            throw new InvalidRequestException(prompts > 1 ? "prompt" : "n", (prompts > 1 ? prompts + " prompts × " : "")
                    + "n = " + req.n() + " choices are more sequences than this server holds at once (" + admits
                    + ": max_batch plus queue_capacity)");
        }
        return req;
    }

    /** An echoing request's token prompts with their text, which the echo starts with (vLLM's detokenized prompt). */
    CompletionRequest withEchoTexts(CompletionRequest req) {
        if (!req.echo() || req.prompts().stream().allMatch(p -> p.text() != null)) {
            return req;
        }
        List<Prompt> withText = new ArrayList<>();
        for (Prompt p : req.prompts()) {
            try {
                withText.add(p.text() != null ? p : p.withText(vocabulary.detokenize(p.tokens())));
            } catch (InvalidRequestException e) {
                throw new InvalidRequestException("prompt", e.getMessage());
            }
        }
        return req.withPrompts(withText);
    }
}
