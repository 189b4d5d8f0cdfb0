package io.towerrelay.tunnel;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.apache.hc.core5.util.Timeout;

/**
 * What a WebSocket tunnel needs to know.
 *
 * Where each handshake goes is chosen per handshake among the upstream nodes ({@code io.towerrelay.upstream.Nodes}).
 *
 * @param upstreamSslContext  trust for {@code https} nodes; {@code null} when the nodes are plain http
 * @param connectTimeout      TCP connect to the upstream
 * @param handshakeTimeout    from connect until the upstream's response head (504 when it passes)
 * @param idleTimeout         an open tunnel with no bytes either way for this long is closed
 * @param allowedOrigins      exact {@code Origin} values allowed to upgrade; empty = any
 * @param blockedPathPrefixes request paths starting with one of these are answered 403 (AWX's node-to-node paths)
 */
public record TunnelSettings(SSLContext upstreamSslContext,
                             Timeout connectTimeout, Timeout handshakeTimeout, Timeout idleTimeout,
                             Set<String> allowedOrigins, List<String> blockedPathPrefixes) {

    /** AWX's node-to-node WebSocket paths: never for browsers, blocked at the edge by default. */
    public static final List<String> DEFAULT_BLOCKED_PATH_PREFIXES = List.of("/websocket/relay/", "/websocket/broadcast/");

    public TunnelSettings {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        allowedOrigins = allowedOrigins == null ? Set.of() : Set.copyOf(allowedOrigins);
        blockedPathPrefixes = blockedPathPrefixes == null ? List.of() : List.copyOf(blockedPathPrefixes);
    }

    /** Defaults matching the relay's config defaults: 10 s connect, 30 s handshake, 1 h idle, AWX paths blocked. */
    public static TunnelSettings defaults(SSLContext upstreamSslContext) {
        return new TunnelSettings(upstreamSslContext, Timeout.ofSeconds(10), Timeout.ofSeconds(30),
                Timeout.ofHours(1), Set.of(), DEFAULT_BLOCKED_PATH_PREFIXES);
    }

    public TunnelSettings withIdleTimeout(Timeout timeout) {
        return new TunnelSettings(upstreamSslContext, connectTimeout, handshakeTimeout, timeout,
                allowedOrigins, blockedPathPrefixes);
    }

    public TunnelSettings withAllowedOrigins(Set<String> origins) {
        return new TunnelSettings(upstreamSslContext, connectTimeout, handshakeTimeout, idleTimeout,
                origins, blockedPathPrefixes);
    }

    public TunnelSettings withBlockedPathPrefixes(List<String> prefixes) {
        return new TunnelSettings(upstreamSslContext, connectTimeout, handshakeTimeout, idleTimeout,
                allowedOrigins, prefixes);
    }

    boolean originAllowed(String origin) {
        return allowedOrigins.isEmpty() || (origin != null && allowedOrigins.contains(origin));
    }

    boolean pathBlocked(String path) {
        return blockedPathPrefixes.stream().anyMatch(path::startsWith);
    }

    @Override
    public String toString() {
        return "TunnelSettings[idleTimeout=" + idleTimeout + ", allowedOrigins="
                + allowedOrigins.stream().sorted().collect(Collectors.joining(",")) + ", blocked=" + blockedPathPrefixes + "]";
    }
}
