package io.towerrelay.config;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.hc.core5.util.Timeout;

/**
 * WebSocket tunnels. {@code idleTimeout} defaults to 1h, not the 60s proxies usually use, because Tower's sockets
 * sit quiet between jobs. {@code allowedOrigins} empty means any Origin. {@code blockedPaths} are path prefixes
 * that may never upgrade: AWX's node-to-node channels.
 */
public record WebSocketConfig(
        Timeout idleTimeout, Timeout handshakeTimeout, Set<String> allowedOrigins, List<String> blockedPaths) {

    public static final Timeout DEFAULT_IDLE_TIMEOUT = Timeout.ofHours(1);
    public static final Timeout DEFAULT_HANDSHAKE_TIMEOUT = Timeout.ofSeconds(30);
    public static final List<String> DEFAULT_BLOCKED_PATHS = List.of("/websocket/relay/", "/websocket/broadcast/");

    public WebSocketConfig {
        Objects.requireNonNull(idleTimeout, "websocket.idle-timeout");
        Objects.requireNonNull(handshakeTimeout, "websocket.handshake-timeout");
        allowedOrigins = Set.copyOf(allowedOrigins);
        blockedPaths = List.copyOf(blockedPaths);
    }

    public static WebSocketConfig defaults() {
        return new WebSocketConfig(DEFAULT_IDLE_TIMEOUT, DEFAULT_HANDSHAKE_TIMEOUT, Set.of(), DEFAULT_BLOCKED_PATHS);
    }

    public WebSocketConfig withIdleTimeout(Timeout timeout) {
        return new WebSocketConfig(timeout, handshakeTimeout, allowedOrigins, blockedPaths);
    }

    public WebSocketConfig withAllowedOrigins(Set<String> origins) {
        return new WebSocketConfig(idleTimeout, handshakeTimeout, origins, blockedPaths);
    }

    public WebSocketConfig withBlockedPaths(List<String> paths) {
        return new WebSocketConfig(idleTimeout, handshakeTimeout, allowedOrigins, paths);
    }
}
