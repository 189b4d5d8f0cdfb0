package io.towerrelay.tunnel;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.apache.hc.core5.util.Timeout;

/**
 * What a WebSocket tunnel needs to know.
 *
 * @param upstream            where handshakes go: {@code ws://}, {@code wss://}, {@code http://} or {@code https://}
 *                            with host and port; its path is ignored (the client's request path is forwarded)
 * @param upstreamSslContext  trust for a {@code wss}/{@code https} upstream; {@code null} for a plain one
 * @param connectTimeout      TCP connect to the upstream
 * @param handshakeTimeout    from connect until the upstream's response head (504 when it passes)
 * @param idleTimeout         an open tunnel with no bytes either way for this long is closed
 * @param allowedOrigins      exact {@code Origin} values allowed to upgrade; empty = any
 * @param blockedPathPrefixes request paths starting with one of these are answered 403 (AWX's node-to-node paths)
 */
public record TunnelSettings(URI upstream, SSLContext upstreamSslContext,
                             Timeout connectTimeout, Timeout handshakeTimeout, Timeout idleTimeout,
                             Set<String> allowedOrigins, List<String> blockedPathPrefixes) {

    /** AWX's node-to-node WebSocket paths: never for browsers, blocked at the edge by default. */
    public static final List<String> DEFAULT_BLOCKED_PATH_PREFIXES = List.of("/websocket/relay/", "/websocket/broadcast/");

    public TunnelSettings {
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        String scheme = upstream.getScheme() == null ? "" : upstream.getScheme().toLowerCase(Locale.ROOT);
        if (!Set.of("ws", "wss", "http", "https").contains(scheme) || upstream.getHost() == null) {
            throw new IllegalArgumentException("upstream must be ws://, wss://, http:// or https:// with a host: " + upstream);
        }
        if (secure(scheme) && upstreamSslContext == null) {
            throw new IllegalArgumentException("upstream " + upstream + " needs an SSLContext");
        }
        allowedOrigins = allowedOrigins == null ? Set.of() : Set.copyOf(allowedOrigins);
        blockedPathPrefixes = blockedPathPrefixes == null ? List.of() : List.copyOf(blockedPathPrefixes);
    }

    /** Defaults matching the relay's config defaults: 10 s connect, 30 s handshake, 1 h idle, AWX paths blocked. */
    public static TunnelSettings defaults(URI upstream, SSLContext upstreamSslContext) {
        return new TunnelSettings(upstream, upstreamSslContext, Timeout.ofSeconds(10), Timeout.ofSeconds(30),
                Timeout.ofHours(1), Set.of(), DEFAULT_BLOCKED_PATH_PREFIXES);
    }

    public TunnelSettings withIdleTimeout(Timeout timeout) {
        return new TunnelSettings(upstream, upstreamSslContext, connectTimeout, handshakeTimeout, timeout,
                allowedOrigins, blockedPathPrefixes);
    }

    public TunnelSettings withAllowedOrigins(Set<String> origins) {
        return new TunnelSettings(upstream, upstreamSslContext, connectTimeout, handshakeTimeout, idleTimeout,
                origins, blockedPathPrefixes);
    }

    public TunnelSettings withBlockedPathPrefixes(List<String> prefixes) {
        return new TunnelSettings(upstream, upstreamSslContext, connectTimeout, handshakeTimeout, idleTimeout,
                allowedOrigins, prefixes);
    }

    boolean upstreamSecure() {
        return secure(upstream.getScheme().toLowerCase(Locale.ROOT));
    }

    int upstreamPort() {
        if (upstream.getPort() > 0) {
            return upstream.getPort();
        }
        return upstreamSecure() ? 443 : 80;
    }

    /** host:port as written in logs and {@link TunnelInfo#upstream()}. */
    String upstreamAuthority() {
        return upstream.getHost() + ":" + upstreamPort();
    }

    boolean originAllowed(String origin) {
        return allowedOrigins.isEmpty() || (origin != null && allowedOrigins.contains(origin));
    }

    boolean pathBlocked(String path) {
        return blockedPathPrefixes.stream().anyMatch(path::startsWith);
    }

    private static boolean secure(String scheme) {
        return scheme.equals("wss") || scheme.equals("https");
    }

    @Override
    public String toString() {
        return "TunnelSettings[upstream=" + upstream + ", idleTimeout=" + idleTimeout + ", allowedOrigins="
                + allowedOrigins.stream().sorted().collect(Collectors.joining(",")) + ", blocked=" + blockedPathPrefixes + "]";
    }
}
