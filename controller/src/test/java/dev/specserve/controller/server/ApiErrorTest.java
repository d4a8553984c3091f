package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.engine.QueueFullException;
import dev.specserve.runtime.engine.ServiceUnavailableException;
import dev.specserve.runtime.spec.InvalidRequestException;
import org.junit.jupiter.api.Test;

/** What each refusal from the engine becomes for a client: a status it can act on and a message naming why. */
class ApiErrorTest {
    @Test
    void anInvalidFieldIs400NamingTheField() {
        ApiError e = ApiError.from(new InvalidRequestException("max_tokens", "max_tokens must be at least 1"));

        assertThat(e.status()).isEqualTo(400);
        assertThat(e.param()).isEqualTo("max_tokens");
        assertThat(e.rejectionReason()).isEqualTo("invalid_max_tokens");
    }

    @Test
    void aFullQueueIs429ToRetryLater() {
        ApiError e = ApiError.from(new QueueFullException(64));

        assertThat(e.status()).isEqualTo(429);
        assertThat(e.message()).contains("64 waiting");
    }

    @Test
    void anEngineThatCannotStartTheRequestIs503NotAnInternalError() {
        ApiError shutdown = ApiError.from(new ServiceUnavailableException(ServiceUnavailableException.SHUTTING_DOWN,
                "the engine is shutting down; retry on another replica"));
        ApiError late = ApiError.from(new ServiceUnavailableException(ServiceUnavailableException.QUEUE_TIMEOUT,
                "request waited 120000 ms in the queue without a batch slot"));

        assertThat(shutdown.status()).isEqualTo(503);
        assertThat(shutdown.type()).isEqualTo("service_unavailable");
        assertThat(shutdown.message()).contains("shutting down");
        assertThat(late.status()).isEqualTo(503);
        assertThat(late.toBody().getJsonObject("error").getString("message")).contains("without a batch slot");
    }

    @Test
    void anythingElseIs500() {
        assertThat(ApiError.from(new IllegalStateException("boom")).status()).isEqualTo(500);
    }
}
