package io.towerrelay.config;

import java.util.Objects;
import org.apache.hc.core5.util.Timeout;

/**
 * Bounds on what clients may send. A request line longer than {@code maxRequestLineBytes} gets 414, a header
 * section larger than {@code maxHeaderBytes} gets 431; both then close the connection. {@code clientIdleTimeout}
 * closes client connections that stay silent (keep-alive or a stalled request) for that long; {@code headerTimeout}
 * closes a new connection whose first request head is not complete in that time, however slowly it trickles.
 */
public record LimitsConfig(int maxRequestLineBytes, int maxHeaderBytes, int maxConnections, Timeout clientIdleTimeout,
        Timeout headerTimeout) {
    public static final int DEFAULT_MAX_REQUEST_LINE_BYTES = 8192;
    public static final int DEFAULT_MAX_HEADER_BYTES = 32768;
    public static final int DEFAULT_MAX_CONNECTIONS = 10000;
    public static final Timeout DEFAULT_CLIENT_IDLE_TIMEOUT = Timeout.ofSeconds(75);
    /** Time a new connection has to deliver its first complete request head (slowloris), as NGINX's 60 s or less. */
    public static final Timeout DEFAULT_HEADER_TIMEOUT = Timeout.ofSeconds(30);

    public LimitsConfig {
        Objects.requireNonNull(clientIdleTimeout, "limits.client-idle-timeout");
        Objects.requireNonNull(headerTimeout, "limits.header-timeout");
        if (headerTimeout.isDisabled()) {
            throw new IllegalArgumentException("limits.header-timeout must be more than 0");
        }
        if (maxRequestLineBytes < 256) {
            throw new IllegalArgumentException("limits.max-request-line-bytes must be at least 256");
        }
        if (maxHeaderBytes < 1024) {
            throw new IllegalArgumentException("limits.max-header-bytes must be at least 1024");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("limits.max-connections must be at least 1");
        }
    }

    /** With the default header timeout. */
    public LimitsConfig(int maxRequestLineBytes, int maxHeaderBytes, int maxConnections, Timeout clientIdleTimeout) {
        this(maxRequestLineBytes, maxHeaderBytes, maxConnections, clientIdleTimeout, DEFAULT_HEADER_TIMEOUT);
    }

    public LimitsConfig withHeaderTimeout(Timeout timeout) {
        return new LimitsConfig(maxRequestLineBytes, maxHeaderBytes, maxConnections, clientIdleTimeout, timeout);
    }

    public static LimitsConfig defaults() {
        return new LimitsConfig(DEFAULT_MAX_REQUEST_LINE_BYTES, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_CONNECTIONS,
                DEFAULT_CLIENT_IDLE_TIMEOUT);
    }
}
