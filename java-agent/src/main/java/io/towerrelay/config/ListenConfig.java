package io.towerrelay.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The public listener: where clients connect, TLS when {@code tls} is set, whether every connection opens with a
 * PROXY protocol header from a load balancer in {@code forwarded.trusted-proxies} ({@code proxyProtocol}), and
 * whether a TLS listener offers HTTP/2 by ALPN beside HTTP/1.1 ({@code http2}; a plain listener is HTTP/1.1 only
 * either way).
 */
public record ListenConfig(InetSocketAddress address, TlsFiles tls, boolean proxyProtocol, boolean http2) {
    public static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress("0.0.0.0", 8080);

    public ListenConfig {
        Objects.requireNonNull(address, "listen.address");
    }

    /** With HTTP/2 on a TLS listener (the default). */
    public ListenConfig(InetSocketAddress address, TlsFiles tls, boolean proxyProtocol) {
        this(address, tls, proxyProtocol, true);
    }

    /** Without the PROXY protocol, with HTTP/2 on a TLS listener (the default). */
    public ListenConfig(InetSocketAddress address, TlsFiles tls) {
        this(address, tls, false, true);
    }

    public static ListenConfig defaults() {
        return new ListenConfig(DEFAULT_ADDRESS, null, false, true);
    }

    public boolean tlsEnabled() {
        return tls != null;
    }

    /** True when clients may speak HTTP/2 here: TLS with {@code listen.http2} on. */
    public boolean offersHttp2() {
        return tls != null && http2;
    }

    public ListenConfig withAddress(InetSocketAddress newAddress) {
        return new ListenConfig(newAddress, tls, proxyProtocol, http2);
    }

    public ListenConfig withTls(TlsFiles newTls) {
        return new ListenConfig(address, newTls, proxyProtocol, http2);
    }

    public ListenConfig withProxyProtocol(boolean on) {
        return new ListenConfig(address, tls, on, http2);
    }

    public ListenConfig withHttp2(boolean enabled) {
        return new ListenConfig(address, tls, proxyProtocol, enabled);
    }
}
