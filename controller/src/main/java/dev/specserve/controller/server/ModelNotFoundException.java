package dev.specserve.controller.server;

import dev.specserve.runtime.spec.InvalidRequestException;

/** A request naming a model this server does not serve: 404 naming {@code model}, as OpenAI and vLLM answer it. */
final class ModelNotFoundException extends InvalidRequestException {
    ModelNotFoundException(String model, java.util.List<String> served) {
        super("model", "the model '" + model + "' does not exist here; this server serves " + String.join(", ",
                served.stream().map(n -> "'" + n + "'").toList()));
    }
}
