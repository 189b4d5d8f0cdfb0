package io.towerrelay.upstream;

import java.io.IOException;

/**
 * Thrown instead of writing a request on a pooled connection the upstream has said it closes by now
 * ({@link KeepAliveDeadlines}). Nothing was sent, so the request is retried on a new connection whatever its method.
 */
public final class StaleConnectionException extends IOException {
    private static final long serialVersionUID = 1L;

    public StaleConnectionException(String message) {
        super(message);
    }
}
