package io.towerrelay.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The public listener: where clients connect, TLS when {@code tls} is set, and whether every connection opens with
 * a PROXY protocol header from a load balancer in {@code forwarded.trusted-proxies} ({@code proxyProtocol}).
 */
public record ListenConfig(InetSocketAddress address, TlsFiles tls, boolean proxyProtocol) {
    public static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress("0.0.0.0", 8080);

    public ListenConfig {
        Objects.requireNonNull(address, "listen.address");
    }

    /** Without the PROXY protocol. */
    public ListenConfig(InetSocketAddress address, TlsFiles tls) {
        this(address, tls, false);
    }

    public static ListenConfig defaults() {
        return new ListenConfig(DEFAULT_ADDRESS, null);
    }

    public boolean tlsEnabled() {
        return tls != null;
    }

    public ListenConfig withAddress(InetSocketAddress newAddress) {
        return new ListenConfig(newAddress, tls, proxyProtocol);
    }

    public ListenConfig withTls(TlsFiles newTls) {
        return new ListenConfig(address, newTls, proxyProtocol);
    }

    public ListenConfig withProxyProtocol(boolean on) {
        return new ListenConfig(address, tls, on);
    }
}
