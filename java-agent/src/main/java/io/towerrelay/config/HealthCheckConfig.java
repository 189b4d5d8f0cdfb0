package io.towerrelay.config;

import java.util.Objects;
import org.apache.hc.core5.util.Timeout;

/**
 * Active health checks of every upstream node: {@code GET path} every {@code interval}; a node is marked down
 * after {@code fall} failed checks in a row and up again after {@code rise} passed ones. A check fails when no
 * 2xx or 3xx answer arrives within {@code timeout}.
 */
public record HealthCheckConfig(String path, Timeout interval, Timeout timeout, int fall, int rise) {
    public static final String DEFAULT_PATH = "/api/v2/ping/";
    public static final Timeout DEFAULT_INTERVAL = Timeout.ofSeconds(5);
    public static final Timeout DEFAULT_TIMEOUT = Timeout.ofSeconds(5);
    public static final int DEFAULT_FALL = 2;
    public static final int DEFAULT_RISE = 2;

    public HealthCheckConfig {
        Objects.requireNonNull(path, "upstream.health-check.path");
        Objects.requireNonNull(interval, "upstream.health-check.interval");
        Objects.requireNonNull(timeout, "upstream.health-check.timeout");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("upstream.health-check.path must start with /");
        }
        if (fall < 1 || rise < 1) {
            throw new IllegalArgumentException("upstream.health-check.fall and rise must be at least 1");
        }
    }

    public static HealthCheckConfig defaults() {
        return new HealthCheckConfig(DEFAULT_PATH, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_FALL, DEFAULT_RISE);
    }
}
