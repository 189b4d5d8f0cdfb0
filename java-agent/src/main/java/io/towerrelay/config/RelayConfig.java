package io.towerrelay.config;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Objects;
import org.apache.hc.core5.util.Timeout;

/**
 * Everything the relay needs to run: loaded from YAML by {@link RelayConfigLoader}, or built in code
 * ({@code RelayConfig.defaults().withListen(...).withUpstream(...)}). {@code shutdownGrace} is how long SIGTERM
 * waits for in-flight requests. {@code ioThreads} is how many I/O threads serve the connections, both sides of each
 * (0: one per core).
 */
public record RelayConfig(
        ListenConfig listen,
        AdminConfig admin,
        UpstreamConfig upstream,
        WebSocketConfig websocket,
        ForwardedConfig forwarded,
        LimitsConfig limits,
        AccessLogFormat accessLog,
        Timeout shutdownGrace,
        int ioThreads) {

    public static final Timeout DEFAULT_SHUTDOWN_GRACE = Timeout.ofSeconds(30);
    /** {@code io-threads: auto}: one I/O thread per core. */
    public static final int AUTO_IO_THREADS = 0;
    public static final int MAX_IO_THREADS = 1024;

    public RelayConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(websocket, "websocket");
        Objects.requireNonNull(forwarded, "forwarded");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(accessLog, "access-log");
        Objects.requireNonNull(shutdownGrace, "shutdown-grace");
        if (ioThreads < 0 || ioThreads > MAX_IO_THREADS) {
            throw new IllegalArgumentException("io-threads must be auto or 1-" + MAX_IO_THREADS);
        }
    }

    /** With one I/O thread per core. */
    public RelayConfig(ListenConfig listen, AdminConfig admin, UpstreamConfig upstream, WebSocketConfig websocket,
            ForwardedConfig forwarded, LimitsConfig limits, AccessLogFormat accessLog, Timeout shutdownGrace) {
        this(listen, admin, upstream, websocket, forwarded, limits, accessLog, shutdownGrace, AUTO_IO_THREADS);
    }

    /** How many I/O threads to start: {@code ioThreads}, or one per core for auto. */
    public int ioThreadCount() {
        return ioThreads > 0 ? ioThreads : Math.max(1, Runtime.getRuntime().availableProcessors());
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
        return new RelayConfig(newListen, admin, upstream, websocket, forwarded, limits, accessLog,
                shutdownGrace, ioThreads);
    }

    /** The admin listener on {@code address}, or off when null. */
    public RelayConfig withAdmin(InetSocketAddress address) {
        return new RelayConfig(listen, new AdminConfig(address), upstream, websocket, forwarded, limits, accessLog,
                shutdownGrace, ioThreads);
    }

    public RelayConfig withUpstream(URI url) {
        return withUpstream(upstream.withUrl(url));
    }

    public RelayConfig withUpstream(UpstreamConfig newUpstream) {
        return new RelayConfig(listen, admin, newUpstream, websocket, forwarded, limits, accessLog,
                shutdownGrace, ioThreads);
    }

    public RelayConfig withWebSocket(WebSocketConfig newWebSocket) {
        return new RelayConfig(listen, admin, upstream, newWebSocket, forwarded, limits, accessLog,
                shutdownGrace, ioThreads);
    }

    public RelayConfig withForwarded(ForwardedConfig newForwarded) {
        return new RelayConfig(listen, admin, upstream, websocket, newForwarded, limits, accessLog,
                shutdownGrace, ioThreads);
    }

    public RelayConfig withLimits(LimitsConfig newLimits) {
        return new RelayConfig(listen, admin, upstream, websocket, forwarded, newLimits, accessLog,
                shutdownGrace, ioThreads);
    }

    public RelayConfig withAccessLog(AccessLogFormat format) {
        return new RelayConfig(listen, admin, upstream, websocket, forwarded, limits, format, shutdownGrace, ioThreads);
    }

    public RelayConfig withIoThreads(int threads) {
        return new RelayConfig(listen, admin, upstream, websocket, forwarded, limits, accessLog, shutdownGrace, threads);
    }

    public RelayConfig withShutdownGrace(Timeout grace) {
        return new RelayConfig(listen, admin, upstream, websocket, forwarded, limits, accessLog, grace, ioThreads);
    }
}
