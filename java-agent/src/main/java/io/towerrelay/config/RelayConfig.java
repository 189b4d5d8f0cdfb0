package io.towerrelay.config;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Objects;
import org.apache.hc.core5.util.Timeout;

/**
 * Everything the relay needs to run: loaded from YAML by {@link RelayConfigLoader}, or built in code
 * ({@code RelayConfig.defaults().withListen(...).withUpstream(...)}). {@code shutdownGrace} is how long SIGTERM
 * waits for in-flight requests.
 */
public record RelayConfig(
        ListenConfig listen,
        AdminConfig admin,
        UpstreamConfig upstream,
        WebSocketConfig websocket,
        ForwardedConfig forwarded,
        LimitsConfig limits,
        AccessLogFormat accessLog,
        Timeout shutdownGrace) {

    public static final Timeout DEFAULT_SHUTDOWN_GRACE = Timeout.ofSeconds(30);

    public RelayConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(websocket, "websocket");
        Objects.requireNonNull(forwarded, "forwarded");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(accessLog, "access-log");
        Objects.requireNonNull(shutdownGrace, "shutdown-grace");
    }

    /** Every default; the upstream URL is unset and must be given before the relay can start. */
    public static RelayConfig defaults() {
        return new RelayConfig(ListenConfig.defaults(), AdminConfig.defaults(), UpstreamConfig.defaults(),
                WebSocketConfig.defaults(), ForwardedConfig.defaults(), LimitsConfig.defaults(),
                AccessLogFormat.COMBINED, DEFAULT_SHUTDOWN_GRACE);
    }

    public RelayConfig withListen(InetSocketAddress address) {
        return withListen(listen.withAddress(address));
    }

    public RelayConfig withListen(ListenConfig newListen) {
        return new RelayConfig(newListen, admin, upstream, websocket, forwarded, limits, accessLog, shutdownGrace);
    }

    /** The admin listener on {@code address}, or off when null. */
    public RelayConfig withAdmin(InetSocketAddress address) {
        return new RelayConfig(listen, new AdminConfig(address), upstream, websocket, forwarded, limits, accessLog,
                shutdownGrace);
    }

    public RelayConfig withUpstream(URI url) {
        return withUpstream(upstream.withUrl(url));
    }

    public RelayConfig withUpstream(UpstreamConfig newUpstream) {
        return new RelayConfig(listen, admin, newUpstream, websocket, forwarded, limits, accessLog, shutdownGrace);
    }

    public RelayConfig withWebSocket(WebSocketConfig newWebSocket) {
        return new RelayConfig(listen, admin, upstream, newWebSocket, forwarded, limits, accessLog, shutdownGrace);
    }

    public RelayConfig withForwarded(ForwardedConfig newForwarded) {
        return new RelayConfig(listen, admin, upstream, websocket, newForwarded, limits, accessLog, shutdownGrace);
    }

    public RelayConfig withLimits(LimitsConfig newLimits) {
        return new RelayConfig(listen, admin, upstream, websocket, forwarded, newLimits, accessLog, shutdownGrace);
    }

    public RelayConfig withAccessLog(AccessLogFormat format) {
        return new RelayConfig(listen, admin, upstream, websocket, forwarded, limits, format, shutdownGrace);
    }

    public RelayConfig withShutdownGrace(Timeout grace) {
        return new RelayConfig(listen, admin, upstream, websocket, forwarded, limits, accessLog, grace);
    }
}
